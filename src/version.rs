//! The version this binary reports (`--version`, `/healthz`, the hub, the update checks).
//!
//! It is kept in a fixed 64-byte slot in the binary's read-only data, marked by
//! [`SLOT_MARK`]: `TABLEORDER_BUILD_VERSION` at build time sets it (default: the crate's
//! version), and a copy of a built binary can be restamped with [`stamp`] (the test suite
//! makes its "newer" releases that way, without a second build).

/// What precedes the version in the slot.
pub const SLOT_MARK: &[u8; 24] = b"\0tableorder-version-slot";
const SLOT_LEN: usize = 64;

const BUILT: &str = match option_env!("TABLEORDER_BUILD_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

const fn slot() -> [u8; SLOT_LEN] {
    let mut s = [0u8; SLOT_LEN];
    let mut i = 0;
    while i < SLOT_MARK.len() {
        s[i] = SLOT_MARK[i];
        i += 1;
    }
    let v = BUILT.as_bytes();
    assert!(v.len() < SLOT_LEN - SLOT_MARK.len(), "version too long for its slot");
    let mut j = 0;
    while j < v.len() {
        s[SLOT_MARK.len() + j] = v[j];
        j += 1;
    }
    s
}

#[used]
static SLOT: [u8; SLOT_LEN] = slot();

/// This binary's version, read from its slot.
pub fn get() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        // Read as the file holds it: the compiler must not use the value it built in.
        let bytes: [u8; SLOT_LEN] = *std::hint::black_box(&SLOT);
        let v = &bytes[SLOT_MARK.len()..];
        let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
        String::from_utf8_lossy(&v[..end]).into_owned()
    })
}

/// Writes `version` into the slot of the binary `bytes` (a copy of a tableorder binary).
pub fn stamp(bytes: &mut [u8], version: &str) -> Result<(), String> {
    // The slot: the mark, then a version and zeros to its end (the mark alone may appear
    // elsewhere too).
    let is_slot = |at: usize| {
        bytes.get(at + SLOT_MARK.len()..at + SLOT_LEN).is_some_and(|v| {
            let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
            end > 0 && v[..end].iter().all(|b| b.is_ascii_graphic()) && v[end..].iter().all(|b| *b == 0)
        })
    };
    let at = (0..bytes.len().saturating_sub(SLOT_LEN))
        .find(|&i| bytes[i] == 0 && &bytes[i..i + SLOT_MARK.len()] == SLOT_MARK && is_slot(i))
        .ok_or("no version slot in this file: not a tableorder binary")?;
    let room = SLOT_LEN - SLOT_MARK.len();
    if version.is_empty() || version.len() >= room || version.contains(char::is_whitespace) {
        return Err(format!("a version is 1 to {} characters without spaces", room - 1));
    }
    let slot = &mut bytes[at + SLOT_MARK.len()..at + SLOT_LEN];
    slot.fill(0);
    slot[..version.len()].copy_from_slice(version.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_slot_holds_the_built_version_and_can_be_restamped() {
        assert_eq!(super::get(), super::BUILT);
        let mut file = b"ELF....".to_vec();
        file.extend_from_slice(&super::slot());
        file.extend_from_slice(b"rest");
        super::stamp(&mut file, "9.1.0").unwrap();
        let at = file.windows(24).position(|w| w == super::SLOT_MARK).unwrap();
        assert_eq!(&file[at + 24..at + 30], b"9.1.0\0");
        assert!(file.ends_with(b"rest"));
        assert!(super::stamp(&mut b"no slot".to_vec(), "1.0.0").is_err());
    }
}
