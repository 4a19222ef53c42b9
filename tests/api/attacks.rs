//! What an attacker on the Wi-Fi, or a faulty world, tried against the box, each held.

use crate::helpers::store_with_menu;
use crate::proc::Server;
use crate::support::client::{rss_kib, sample_peak};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Photos: bounded memory whatever the upload claims
// ---------------------------------------------------------------------------------------

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A JPEG with an EXIF segment saying "rotate 90° to view" (orientation 6), as phones write.
fn with_exif_rotation(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u16.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A valid `w`×`h` 16-bit RGBA PNG of transparent black: a few hundred KB that decode to
/// w × h × 8 bytes.
fn zero_png(w: u32, h: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + w as usize * 8];
    for _ in 0..h {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A smooth 12-megapixel photo (4032×3024, a phone's size) as a JPEG under the 2 MB limit.
fn phone_photo() -> Vec<u8> {
    let img = RgbImage::from_fn(4032, 3024, |x, y| Rgb([(x / 16) as u8, (y / 12) as u8, ((x + y) / 28) as u8]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60).encode_image(&img).unwrap();
    out
}

async fn admin_token(client: &reqwest::Client, srv: &Server) -> String {
    let login = client
        .post(srv.url("/api/v1/auth/admin/login"))
        .json(&json!({"store_id": "demo", "username": "admin", "password": "demo1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

async fn first_item(client: &reqwest::Client, srv: &Server, token: &str) -> i64 {
    let items: Value =
        client.get(srv.url("/api/v1/admin/menu-items")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    items[0]["id"].as_i64().unwrap()
}

async fn upload(client: &reqwest::Client, srv: &Server, token: &str, item: i64, data: &[u8]) -> (StatusCode, Value) {
    let resp = client
        .put(srv.url(&format!("/api/v1/admin/menu-items/{item}/image")))
        .bearer_auth(token)
        .body(data.to_vec())
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload of {} bytes: {e}; server log:\n{}", data.len(), srv.log()));
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Waits up to `limit` for the server's RSS to come down to `target` KiB; answers the last reading.
async fn settles_to(pid: u32, target: u64, limit: Duration) -> u64 {
    let until = Instant::now() + limit;
    loop {
        let now = rss_kib(pid);
        if now <= target || Instant::now() > until {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn no_photo_within_the_limits_or_beyond_them_takes_more_than_64_mb_and_the_memory_comes_back() {
    // 8192×1: 104 bytes of PNG that once became a 3.9 M × 480 image.
    let strip = encode(DynamicImage::ImageLuma8(image::GrayImage::new(8192, 1)), ImageFormat::Png);
    // 8192×8192 16-bit RGBA: half a GB of pixels behind a few hundred KB; refused from its header.
    let deep = zero_png(8192, 8192);
    // The largest 16-bit photo within the budget.
    let deep_ok = encode(
        DynamicImage::ImageRgba16(image::ImageBuffer::<Rgba<u16>, Vec<u16>>::from_pixel(
            1800,
            1800,
            Rgba([40000, 0, 0, 65535]),
        )),
        ImageFormat::Png,
    );
    let phone = phone_photo();
    let sideways = with_exif_rotation(&phone);
    assert!(phone.len() < 2 * 1024 * 1024 && deep.len() < 2 * 1024 * 1024, "{} {}", phone.len(), deep.len());

    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &["--demo"], &[]);
    let pid = srv.child.id();
    let client = reqwest::Client::new();
    let token = admin_token(&client, &srv).await;
    let item = first_item(&client, &srv, &token).await;

    // Warm: one ordinary photo, so that the idle figure includes the decoder's code.
    let small = encode(DynamicImage::ImageRgb8(RgbImage::from_pixel(800, 600, Rgb([9, 9, 9]))), ImageFormat::Jpeg);
    assert_eq!(upload(&client, &srv, &token, item, &small).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let peak = sample_peak(pid, stop.clone());
    // A 40-byte lossless WebP whose header says 16383×16383 (a gigabyte of pixels).
    let webp_bomb: Vec<u8> = [
        &b"RIFF"[..],
        &32u32.to_le_bytes(),
        b"WEBPVP8L",
        &20u32.to_le_bytes(),
        &[0x2f],
        &(16382u32 | (16382 << 14)).to_le_bytes(),
        &[0u8; 15],
    ]
    .concat();
    let cases: [(&str, &[u8], StatusCode); 6] = [
        ("8192×1 strip", &strip, StatusCode::OK),
        ("8192×8192 16-bit", &deep, StatusCode::PAYLOAD_TOO_LARGE),
        ("16383×16383 WebP", &webp_bomb, StatusCode::PAYLOAD_TOO_LARGE),
        ("1800×1800 16-bit", &deep_ok, StatusCode::OK),
        ("12 MP JPEG", &phone, StatusCode::OK),
        ("12 MP JPEG turned", &sideways, StatusCode::OK),
    ];
    for (name, data, want) in cases {
        let t = Instant::now();
        let (status, body) = upload(&client, &srv, &token, item, data).await;
        println!("{name}: {} bytes, {status} in {:?}, rss now {} KiB", data.len(), t.elapsed(), rss_kib(pid));
        assert_eq!(status, want, "{name}: {body}");
        if want == StatusCode::PAYLOAD_TOO_LARGE {
            assert_eq!(body["error"]["code"], "payload_too_large", "{name}: {body}");
        }
    }
    // Six in a row, the way an owner photographs a menu.
    for _ in 0..6 {
        assert_eq!(upload(&client, &srv, &token, item, &sideways).await.0, StatusCode::OK);
        println!("in a row: rss now {} KiB", rss_kib(pid));
    }
    // Three at once, each abandoned by its sender after 50 ms: the photos are still made one at
    // a time (the turn belongs to the decoding, not to the request).
    let mut abandoned = Vec::new();
    for _ in 0..3 {
        let (client, url, token, data) =
            (client.clone(), srv.url(&format!("/api/v1/admin/menu-items/{item}/image")), token.clone(), phone.clone());
        abandoned.push(tokio::spawn(async move {
            let _ = client.put(url).bearer_auth(token).body(data).timeout(Duration::from_millis(50)).send().await;
        }));
    }
    for a in abandoned {
        a.await.unwrap();
    }
    // The next upload waits its turn behind the abandoned ones and succeeds.
    assert_eq!(upload(&client, &srv, &token, item, &small).await.0, StatusCode::OK);
    stop.store(true, Ordering::Relaxed);
    let peak = peak.join().unwrap();
    let growth_mib = peak.saturating_sub(idle) as f64 / 1024.0;
    let after = settles_to(pid, idle + 8 * 1024, Duration::from_secs(5)).await;
    println!(
        "photo memory: idle {:.1} MiB, peak {:.1} MiB (+{growth_mib:.1}), after {:.1} MiB",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        after as f64 / 1024.0
    );
    assert!(growth_mib < 64.0, "photos grew the server by {growth_mib:.1} MiB (idle {idle} KiB, peak {peak} KiB)");
    assert!(after <= idle + 8 * 1024, "the memory did not come back: idle {idle} KiB, after {after} KiB");
}

#[tokio::test]
async fn a_photo_for_an_item_of_another_store_or_none_is_refused_before_it_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &["--demo"], &[]);
    let client = reqwest::Client::new();
    let token = admin_token(&client, &srv).await;
    // Not an image at all, sent to an item that does not exist: 404, not 415 (the item first).
    let (status, body) = upload(&client, &srv, &token, 999_999, b"\xFF\xD8\xFF\xE0 garbage").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

// ---------------------------------------------------------------------------------------
// Backups: only complete ones are listed, served or counted
// ---------------------------------------------------------------------------------------

fn dir_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn a_backup_killed_midway_is_never_listed_served_or_counted_and_is_cleaned_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    // A box with some weight (80 MB): the copy takes long enough to be killed in the middle.
    drop(Server::start(dir.path(), &["--demo"], &[]));
    {
        let db = rusqlite::Connection::open(dir.path().join("tableorder.db")).unwrap();
        db.execute_batch("CREATE TABLE ballast(b BLOB)").unwrap();
        for _ in 0..80 {
            db.execute("INSERT INTO ballast VALUES (randomblob(1000000))", []).unwrap();
        }
    }
    let client = reqwest::Client::new();
    // How long one backup takes here.
    let took = {
        let srv = Server::start(dir.path(), &["--demo"], &[]);
        let token = admin_token(&client, &srv).await;
        let t = Instant::now();
        let r =
            client.post(srv.url("/api/v1/admin/backups")).bearer_auth(&token).json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        t.elapsed()
    };
    let mut cut_midway = 0;
    for fraction in [0.15, 0.35, 0.55, 0.75, 0.9] {
        let mut srv = Server::start(dir.path(), &["--demo"], &[]);
        let token = admin_token(&client, &srv).await;
        let (c, url) = (client.clone(), srv.url("/api/v1/admin/backups"));
        let request = tokio::spawn(async move { c.post(url).bearer_auth(token).json(&json!({})).send().await });
        tokio::time::sleep(took.mul_f64(fraction)).await;
        srv.child.kill().unwrap();
        srv.child.wait().unwrap();
        let _ = request.await;
        let left = dir_names(&backups);
        if left.iter().any(|n| n.starts_with('.')) {
            cut_midway += 1;
        }
        // The next start removes what the kill left; every backup it lists is whole.
        let srv = Server::start(dir.path(), &["--demo"], &[]);
        assert!(dir_names(&backups).iter().all(|n| !n.starts_with('.')), "{:?}", dir_names(&backups));
        let token = admin_token(&client, &srv).await;
        let list: Value = client
            .get(srv.url("/api/v1/admin/backups"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = list.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), dir_names(&backups).len(), "{names:?} vs {:?}", dir_names(&backups));
        for name in names {
            let copy =
                rusqlite::Connection::open_with_flags(backups.join(name), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .unwrap();
            let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
            assert_eq!(check, "ok", "{name}");
            let n: i64 = copy.query_row("SELECT count(*) FROM ballast", [], |r| r.get(0)).unwrap();
            assert_eq!(n, 80, "{name} is whole");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(backups.join(name)).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{name}");
            }
        }
    }
    println!("backup took {took:?}; {cut_midway} of 5 kills landed midway");
    assert!(cut_midway >= 2, "only {cut_midway} of 5 kills landed while a backup was being written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["tableorder.db", "tableorder.db-wal", "jwt.key"] {
            let mode = std::fs::metadata(dir.path().join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Logins: a lock per account and address, counted before the password is checked
// ---------------------------------------------------------------------------------------

use crate::helpers::{ADMIN_PASSWORD, TestApp};
use tableorder::db::stores::LOCKOUT_AFTER;

/// A client whose connections come from `ip` (any 127.x address reaches the loopback server).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from(ip)).build().unwrap()
}

async fn login_from(app: &TestApp, client: &reqwest::Client, password: &str) -> StatusCode {
    client
        .post(app.url("/api/v1/auth/admin/login"))
        .json(&json!({"store_id": "a", "username": "admin", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn wrong_passwords_from_one_address_never_lock_the_owner_out_from_another_and_staff_see_the_lock() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let guesser = client_from([127, 0, 0, 66]);
    let office = client_from([127, 0, 0, 10]);
    for _ in 0..LOCKOUT_AFTER {
        assert_eq!(login_from(&app, &guesser, "wrong-password").await, StatusCode::UNAUTHORIZED);
    }
    // The guesser's address is locked for this account: even the right password fails there…
    assert_eq!(login_from(&app, &guesser, ADMIN_PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(login_from(&app, &guesser, "still-guessing").await, StatusCode::UNAUTHORIZED);
    // …while the owner logs in from the office, again and again, during the lock.
    for _ in 0..3 {
        assert_eq!(login_from(&app, &office, ADMIN_PASSWORD).await, StatusCode::OK);
    }
    // Staff see who is locked, from where, and that logins are being refused.
    let owner = app.admin_token("a").await;
    let locks = app.get("/api/v1/admin/login-locks", Some(&owner)).await;
    assert_eq!(locks.status, StatusCode::OK, "{}", locks.body);
    let locks = locks.body.as_array().unwrap().clone();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0]["name"], "admin");
    assert_eq!(locks[0]["account"], "staff");
    assert_eq!(locks[0]["address"], "127.0.0.66");
    assert_eq!(locks[0]["refused"], 2);
    crate::helpers::settle(&app).await;
    let trail = app.get("/api/v1/admin/audit?kind=login_locked", Some(&owner)).await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
    let entries = trail.body["entries"].as_array().or(trail.body.as_array()).unwrap().clone();
    assert_eq!(entries.len(), 1, "{}", trail.body);
    assert_eq!(entries[0]["detail"]["address"], "127.0.0.66");
    // The lock runs out with time.
    app.clock.advance(tableorder::db::stores::LOCKOUT_MS + 1);
    assert_eq!(login_from(&app, &guesser, ADMIN_PASSWORD).await, StatusCode::OK);
    assert!(app.get("/api/v1/admin/login-locks", Some(&owner)).await.body.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_burst_of_guesses_sent_at_once_gets_no_more_real_checks_than_guesses_sent_one_by_one() {
    let app = TestApp::spawn().await;
    app.seed_store("a", 1).await;
    let guesser = client_from([127, 0, 0, 77]);
    // Forty wrong guesses in flight together, then the right password while they are checked.
    let mut burst = Vec::new();
    for i in 0..40 {
        let (c, url) = (guesser.clone(), app.url("/api/v1/auth/admin/login"));
        burst.push(tokio::spawn(async move {
            let body = json!({"store_id": "a", "username": "admin", "password": format!("guess-{i:04}")});
            c.post(url).json(&body).send().await.unwrap().status()
        }));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let right = login_from(&app, &guesser, ADMIN_PASSWORD).await;
    for b in burst {
        assert_eq!(b.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(right, StatusCode::UNAUTHORIZED, "the right password got through behind 40 wrong ones");
    // Another address is not affected.
    assert_eq!(login_from(&app, &client_from([127, 0, 0, 78]), ADMIN_PASSWORD).await, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// Text that hides or flips itself
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn names_and_notes_that_hide_or_flip_text_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let menu = crate::helpers::store_with_menu(&app, "a", 1).await;
    let before = app.get("/api/v1/admin/menu-items", Some(&menu.admin)).await.body;
    for name in ["\u{200B}\u{200B}", "\u{3164}", "Beer\u{202E}reeB", "\u{2066}콜라\u{2069}"] {
        let r = app
            .post(
                "/api/v1/admin/menu-items",
                Some(&menu.admin),
                json!({"category_id": menu.category, "name": name, "price": 1000}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {}", r.body);
        assert!(r.body["error"]["fields"]["name"].is_string(), "{}", r.body);
    }
    let r = app.post("/api/v1/admin/categories", Some(&menu.admin), json!({"name": "\u{FEFF}"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post(
            "/api/v1/admin/staff",
            Some(&menu.admin),
            json!({"username": "kim", "display_name": "\u{3164}\u{3164}", "role": "server", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(app.get("/api/v1/admin/menu-items", Some(&menu.admin)).await.body, before);
    // A guest's note that reverses what the kitchen reads ("not spicy" shown as "spicy").
    let table = app.table_token("a", 1).await;
    let r = crate::helpers::into_resp(
        app.client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&table)
            .header("idempotency-key", "rlo-1")
            .json(&json!({"items": [{"menu_item_id": menu.stew, "quantity": 1, "note": "안 \u{202E}맵게"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Ordinary names in any script, emoji with joiners included, still work.
    for name in ["김치찌개 2", "Café", "👨\u{200D}🍳 정식", "עברית"] {
        let r = app
            .post(
                "/api/v1/admin/menu-items",
                Some(&menu.admin),
                json!({"category_id": menu.category, "name": name, "price": 1000}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{name:?}: {}", r.body);
    }
}

// ---------------------------------------------------------------------------------------
// Connections, streams and the active-order limit shared fairly
// ---------------------------------------------------------------------------------------

/// Whether the server closes a fresh connection from `from` without answering.
async fn closed_at_once(port: u16, from: [u8; 4]) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(std::net::SocketAddr::from((from, 0))).unwrap();
    let mut s = sock.connect(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await.unwrap();
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nhost: box\r\n\r\n").await;
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) => false,
        Err(_) => panic!("neither answered nor closed"),
    }
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection_and_others_are_answered_at_once() {
    let app = TestApp::spawn_with(|c| c.limits.max_connections_per_address = 20).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(std::net::SocketAddr::from(([127, 0, 0, 9], 0))).unwrap();
        held.push(sock.connect(std::net::SocketAddr::from(([127, 0, 0, 1], app.port))).await.unwrap());
    }
    // The 21st and later from that address are closed before any work…
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..50 {
        assert!(closed_at_once(app.port, [127, 0, 0, 9]).await);
    }
    // …while everyone else is answered at once.
    let t = Instant::now();
    assert!(!closed_at_once(app.port, [127, 0, 0, 10]).await);
    let health = client_from([127, 0, 0, 11]).get(app.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // Letting go frees the address's slots.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    while closed_at_once(app.port, [127, 0, 0, 9]).await {
        assert!(Instant::now() < deadline, "the address's connections were not given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn one_table_spamming_orders_cannot_use_up_the_stores_active_order_limit() {
    let app = TestApp::spawn_with(|c| {
        c.limits.max_active_orders = 10;
        c.limits.max_active_orders_per_table = 3;
    })
    .await;
    let menu = crate::helpers::store_with_menu(&app, "a", 2).await;
    let (spam, other) = (app.table_token("a", 1).await, app.table_token("a", 2).await);
    for i in 0..3 {
        assert_eq!(app.order(&spam, &format!("s{i}"), &[(menu.cola, 1)]).await.status, StatusCode::CREATED);
    }
    for i in 3..20 {
        let r = app.order(&spam, &format!("s{i}"), &[(menu.cola, 1)]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.body["error"]["limit"], "max_active_orders_per_table");
        assert_eq!(r.body["error"]["value"], 3);
    }
    // The rest of the store orders as usual.
    for i in 0..3 {
        assert_eq!(app.order(&other, &format!("o{i}"), &[(menu.stew, 1)]).await.status, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn guessing_setup_codes_or_device_keys_is_limited_per_address() {
    let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 5).await;
    let m = store_with_menu(&app, "a", 2).await;
    let sheet = app.post("/api/v1/admin/tables/setup-codes", Some(&m.admin), json!({})).await;
    let real = sheet.body["codes"][0]["url"].as_str().unwrap().split_once("#setup=").unwrap().1.to_string();
    let guesser = client_from([127, 0, 0, 91]);
    let redeem = |c: reqwest::Client, body: Value, path: &'static str| {
        let url = app.url(path);
        async move { c.post(url).json(&body).send().await.unwrap().status() }
    };
    // Five wrong codes, then the right one from the same address: refused, limited.
    let mut seen = Vec::new();
    for i in 0..5 {
        seen.push(redeem(guesser.clone(), json!({"code": format!("{i:032x}")}), "/api/v1/auth/table/setup").await);
    }
    assert!(seen.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{seen:?}");
    assert_eq!(
        redeem(guesser.clone(), json!({"code": real}), "/api/v1/auth/table/setup").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Device keys share the limit.
    assert_eq!(
        redeem(guesser.clone(), json!({"device_key": "a.b.c"}), "/api/v1/auth/table/renew").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another address (a real tablet) sets itself up with the code meanwhile.
    let tablet = client_from([127, 0, 0, 92]);
    assert_eq!(redeem(tablet, json!({"code": real}), "/api/v1/auth/table/setup").await, StatusCode::OK);
}

#[tokio::test]
async fn a_tablet_opening_stream_after_stream_takes_no_staff_slot() {
    let app = TestApp::spawn_with(|c| c.limits.max_staff_streams = 3).await;
    let m = store_with_menu(&app, "a", 1).await;
    let t1 = app.table_token("a", 1).await;
    // Twenty streams of one tablet: each replaces the one before; the table holds one.
    let mut held = Vec::new();
    for _ in 0..20 {
        let r = app.client.get(app.url("/api/v1/events")).bearer_auth(&t1).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        held.push(r);
    }
    assert_eq!(app.state.fanout.counts(), (0, 1));
    // The table's token opens no staff stream, and the staff's slots are all there.
    let r = app.client.get(app.url("/api/v1/admin/events")).bearer_auth(&t1).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.client.get(app.url("/api/v1/admin/events")).bearer_auth(&m.admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.state.fanout.counts(), (1, 1));
}
