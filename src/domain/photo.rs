//! Menu photos: the 4:3 card image made on the box from an upload.
//!
//! Guests see every item's photo in a grid of equal cards, whatever shape the owner's
//! camera made: the card image is the upload cropped to 4:3 around its centre, scaled to
//! 640×480 and saved as a JPEG. The original is kept for the item's own sheet.
//!
//! Memory is bounded before anything is decoded: the header says how large the decoded
//! pixels will be (width × height × bytes per pixel, plus an 8-bit copy of 16-bit pixels and
//! a progressive JPEG's coefficients), and an upload that would take more than
//! [`MAX_DECODED`] is refused (a 104-byte PNG can claim 8192×8192 16-bit RGBA: half a
//! gigabyte). The pixels are decoded into an anonymous mapping that goes back to the system
//! when the card is made. The crop is taken before any scaling (a view, no copy), scaled
//! down with a box filter that writes only the 640×480 result, and the camera's rotation is
//! applied to that small card, not to the photo.

use image::metadata::Orientation;
use image::{
    ColorType, DynamicImage, ImageBuffer, ImageDecoder, ImageReader, Limits, Luma, LumaA, Pixel, Rgb, RgbImage, Rgba,
    imageops,
};
use std::io::Cursor;

pub const CARD_WIDTH: u32 = 640;
pub const CARD_HEIGHT: u32 = 480;
/// Largest side accepted: a phone's photo fits; a decompression bomb does not.
pub const MAX_SIDE: u32 = 8192;
/// The decoded pixels at most (and the 8-bit copy a 16-bit image needs): a 12 MP photo
/// (4032×3024 RGB, 36.6 MB) fits; the dashboard scales larger photos down before upload.
pub const MAX_DECODED: u64 = 40 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the image could not be read: {0}")]
    Unreadable(String),
    #[error("images are limited to {MAX_SIDE} pixels a side and {} MB of pixels (about 12 megapixels)", MAX_DECODED / 1024 / 1024)]
    TooLarge,
}

/// Whether an orientation turns the picture a quarter (the crop is taken 3:4 then).
fn quarter_turn(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}

/// Decodes an upload and makes its card image (JPEG, 640×480), transparent parts on white.
pub fn card(data: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED);
    let mut reader =
        ImageReader::new(Cursor::new(data)).with_guessed_format().map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    // Bounded before decoding: the pixels as decoded, an 8-bit copy when they are not 8-bit
    // already, and a progressive JPEG's coefficients (two bytes for each of three channels).
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(if w == 0 || h == 0 { PhotoError::Unreadable("empty image".into()) } else { PhotoError::TooLarge });
    }
    let color = decoder.color_type();
    let pixels = u64::from(w) * u64::from(h);
    let native = decoder.total_bytes();
    let eight_bit = matches!(color, ColorType::Rgb8 | ColorType::Rgba8 | ColorType::L8 | ColorType::La8);
    let needed = native + if eight_bit { 0 } else { pixels * 4 } + if progressive_jpeg(data) { pixels * 6 } else { 0 };
    if needed > MAX_DECODED {
        return Err(PhotoError::TooLarge);
    }
    // Phones store the camera's rotation beside the pixels; the card shows it upright.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // The pixels go to an anonymous mapping, returned to the system the moment it is
    // dropped: a photo's tens of MB never linger in the allocator after its card is made.
    let mut raw = anon(native)?;
    decoder.read_image(&mut raw).map_err(classify)?;
    let (cw, ch) = if quarter_turn(orientation) { (CARD_HEIGHT, CARD_WIDTH) } else { (CARD_WIDTH, CARD_HEIGHT) };
    let unreadable = || PhotoError::Unreadable("the pixels do not match the image's size".into());
    let small = match color {
        ColorType::Rgb8 => DynamicImage::ImageRgb8(fill(&view::<Rgb<u8>>(w, h, &raw).ok_or_else(unreadable)?, cw, ch)),
        ColorType::Rgba8 => {
            DynamicImage::ImageRgba8(fill(&view::<Rgba<u8>>(w, h, &raw).ok_or_else(unreadable)?, cw, ch))
        }
        ColorType::L8 => DynamicImage::ImageLuma8(fill(&view::<Luma<u8>>(w, h, &raw).ok_or_else(unreadable)?, cw, ch)),
        ColorType::La8 => {
            DynamicImage::ImageLumaA8(fill(&view::<LumaA<u8>>(w, h, &raw).ok_or_else(unreadable)?, cw, ch))
        }
        other => {
            let mut rgba = anon(pixels * 4)?;
            to_rgba8(other, &raw, &mut rgba)?;
            drop(raw);
            DynamicImage::ImageRgba8(fill(&view::<Rgba<u8>>(w, h, &rgba).ok_or_else(unreadable)?, cw, ch))
        }
    };
    let mut small = small;
    small.apply_orientation(orientation);
    let rgb = on_white(small);
    let mut out = Vec::with_capacity(64 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(out)
}

/// `len` bytes of zeroed memory mapped for this photo alone.
fn anon(len: u64) -> Result<memmap2::MmapMut, PhotoError> {
    memmap2::MmapMut::map_anon(len.max(1) as usize)
        .map_err(|e| PhotoError::Unreadable(format!("no memory for the image: {e}")))
}

/// The decoded bytes seen as an image of `P` pixels (no copy).
fn view<P: Pixel<Subpixel = u8>>(w: u32, h: u32, raw: &[u8]) -> Option<ImageBuffer<P, &[u8]>> {
    let len = w as usize * h as usize * usize::from(P::CHANNEL_COUNT);
    ImageBuffer::from_raw(w, h, raw.get(..len)?)
}

/// Converts 16-bit and floating-point pixels (native byte order, as decoded) to 8-bit RGBA.
fn to_rgba8(color: ColorType, raw: &[u8], out: &mut [u8]) -> Result<(), PhotoError> {
    let u16_at = |i: usize| u16::from_ne_bytes([raw[2 * i], raw[2 * i + 1]]);
    let f32_at = |i: usize| f32::from_ne_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]]);
    let from16 = |v: u16| ((u32::from(v) * 255 + 32_767) / 65_535) as u8;
    let fromf = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let (channels, wide) = match color {
        ColorType::L16 => (1, 2),
        ColorType::La16 => (2, 2),
        ColorType::Rgb16 => (3, 2),
        ColorType::Rgba16 => (4, 2),
        ColorType::Rgb32F => (3, 4),
        ColorType::Rgba32F => (4, 4),
        other => return Err(PhotoError::Unreadable(format!("unsupported pixel format {other:?}"))),
    };
    let n = out.len() / 4;
    if raw.len() < n * channels * wide {
        return Err(PhotoError::Unreadable("the pixels do not match the image's size".into()));
    }
    for p in 0..n {
        let c = |k: usize| {
            let i = p * channels + k;
            if wide == 2 { from16(u16_at(i)) } else { fromf(f32_at(i)) }
        };
        let px = match channels {
            1 => [c(0), c(0), c(0), 255],
            2 => [c(0), c(0), c(0), c(1)],
            3 => [c(0), c(1), c(2), 255],
            _ => [c(0), c(1), c(2), c(3)],
        };
        out[p * 4..p * 4 + 4].copy_from_slice(&px);
    }
    Ok(())
}

/// Whether a JPEG is progressive (its frame header is SOF2, SOF6, SOF10 or SOF14): its
/// decoder keeps every coefficient of the picture until the last scan.
fn progressive_jpeg(data: &[u8]) -> bool {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return false;
        }
        let marker = data[i + 1];
        match marker {
            0xFF => i += 1,
            0xD0..=0xD9 | 0x01 => i += 2,
            0xC2 | 0xC6 | 0xCA | 0xCE => return true,
            0xC0 | 0xC1 | 0xC3 | 0xC5 | 0xC7 | 0xC9 | 0xCB | 0xCD | 0xCF | 0xDA => return false,
            _ => i += 2 + usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]])),
        }
    }
    false
}

/// The centre of `img` at the aspect `cw`:`ch`, scaled to `cw`×`ch`: a crop view (no copy)
/// scaled down with a box filter (only the result is allocated), or up when the photo is
/// smaller than the card.
fn fill<P, C>(img: &ImageBuffer<P, C>, cw: u32, ch: u32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
    C: std::ops::Deref<Target = [u8]>,
{
    let (w, h) = img.dimensions();
    // The largest cw:ch rectangle inside w×h, at least a pixel each way.
    let (crop_w, crop_h) = if u64::from(w) * u64::from(ch) > u64::from(h) * u64::from(cw) {
        ((u64::from(h) * u64::from(cw) / u64::from(ch)).max(1) as u32, h)
    } else {
        (w, (u64::from(w) * u64::from(ch) / u64::from(cw)).max(1) as u32)
    };
    let view = imageops::crop_imm(img, (w - crop_w) / 2, (h - crop_h) / 2, crop_w, crop_h);
    if crop_w >= cw && crop_h >= ch {
        imageops::thumbnail(&*view, cw, ch)
    } else {
        imageops::resize(&*view, cw, ch, imageops::FilterType::Triangle)
    }
}

fn classify(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge,
        e => PhotoError::Unreadable(e.to_string()),
    }
}

/// Flattens transparency onto white (a PNG logo on a transparent background).
fn on_white(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn decode(jpeg: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).unwrap().into_rgb8()
    }

    #[test]
    fn a_portrait_photo_becomes_a_4_by_3_card_cropped_around_its_middle() {
        // 300×400: red top 80 rows, green middle, blue bottom 80 rows.
        let img = RgbaImage::from_fn(300, 400, |_, y| match y {
            0..80 => Rgba([255, 0, 0, 255]),
            80..320 => Rgba([0, 200, 0, 255]),
            _ => Rgba([0, 0, 255, 255]),
        });
        let card = decode(&card(&encode(DynamicImage::ImageRgba8(img), ImageFormat::Png)).unwrap());
        assert_eq!(card.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
        // The middle 300×225 (rows 87–312) is kept: green everywhere, top and bottom too.
        for (x, y) in [(320, 5), (320, 240), (320, 474), (5, 5), (634, 474)] {
            let p = card.get_pixel(x, y).0;
            assert!(p[1] > 150 && p[0] < 60 && p[2] < 60, "pixel {x},{y} is {p:?}");
        }
    }

    #[test]
    fn a_wide_jpeg_and_a_webp_are_cropped_to_the_same_card_size() {
        let wide = DynamicImage::ImageRgb8(RgbImage::from_pixel(1600, 500, image::Rgb([200, 120, 40])));
        for (data, format) in [
            (encode(wide.clone(), ImageFormat::Jpeg), "jpeg"),
            (encode(DynamicImage::ImageRgba8(wide.to_rgba8()), ImageFormat::WebP), "webp"),
        ] {
            let card = decode(&card(&data).unwrap());
            assert_eq!(card.dimensions(), (CARD_WIDTH, CARD_HEIGHT), "{format}");
            let p = card.get_pixel(320, 240).0;
            assert!(p[0].abs_diff(200) < 12 && p[1].abs_diff(120) < 12 && p[2].abs_diff(40) < 12, "{format}: {p:?}");
        }
    }

    #[test]
    fn transparency_turns_white_not_black() {
        let img = RgbaImage::from_pixel(400, 300, Rgba([0, 0, 0, 0]));
        let card = decode(&card(&encode(DynamicImage::ImageRgba8(img), ImageFormat::Png)).unwrap());
        let p = card.get_pixel(100, 100).0;
        assert!(p.iter().all(|c| *c > 245), "{p:?}");
    }

    #[test]
    fn a_one_pixel_high_strip_and_a_16_bit_giant_are_refused_or_cropped_without_blowing_up() {
        // 8192×1: cropped to 1×1 before scaling (not scaled to fill first).
        let strip = encode(DynamicImage::ImageLuma8(image::GrayImage::new(8192, 1)), ImageFormat::Png);
        let c = decode(&card(&strip).unwrap());
        assert_eq!(c.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
        // 3000×3000 16-bit RGBA would be 72 MB decoded: refused from its header.
        let deep = image::ImageBuffer::<Rgba<u16>, Vec<u16>>::new(3000, 3000);
        let png = encode(DynamicImage::ImageRgba16(deep), ImageFormat::Png);
        assert_eq!(card(&png), Err(PhotoError::TooLarge));
        // A 16-bit photo within the budget is made into a card.
        let deep = image::ImageBuffer::<Rgba<u16>, Vec<u16>>::from_pixel(800, 600, Rgba([65535, 0, 0, 65535]));
        let c = decode(&card(&encode(DynamicImage::ImageRgba16(deep), ImageFormat::Png)).unwrap());
        assert!(c.get_pixel(320, 240).0[0] > 240);
    }

    #[test]
    fn a_photo_taken_sideways_is_cropped_as_it_will_be_seen() {
        // A 400×300 landscape sensor image with EXIF "rotate 90": seen as 300×400 portrait,
        // so the 4:3 card is the middle of the portrait: the left and right thirds of the
        // sensor image (rows once rotated) are cut, not the top and bottom.
        assert!(quarter_turn(Orientation::Rotate90) && !quarter_turn(Orientation::Rotate180));
        let img = RgbImage::from_fn(400, 300, |x, _| {
            if (100..300).contains(&x) { image::Rgb([0, 200, 0]) } else { image::Rgb([255, 0, 0]) }
        });
        let small = fill(&img, CARD_HEIGHT, CARD_WIDTH);
        assert_eq!(small.dimensions(), (CARD_HEIGHT, CARD_WIDTH));
        let mut d = DynamicImage::ImageRgb8(small);
        d.apply_orientation(Orientation::Rotate90);
        let card = d.into_rgb8();
        assert_eq!(card.dimensions(), (CARD_WIDTH, CARD_HEIGHT));
        let p = card.get_pixel(320, 240).0;
        assert!(p[1] > 150 && p[0] < 60, "{p:?}");
    }

    #[test]
    fn a_progressive_jpeg_is_recognised_by_its_frame_header() {
        let baseline = encode(DynamicImage::ImageRgb8(RgbImage::new(64, 48)), ImageFormat::Jpeg);
        assert!(!progressive_jpeg(&baseline));
        // The same file with its frame marked SOF2 (progressive).
        let sof0 = baseline.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut progressive = baseline.clone();
        progressive[sof0 + 1] = 0xC2;
        assert!(progressive_jpeg(&progressive));
        assert!(!progressive_jpeg(b"\x89PNG"));
    }

    #[test]
    fn sixteen_bit_and_float_pixels_become_8_bit_rgba() {
        let mut raw = Vec::new();
        for v in [65535u16, 0, 32768, 65535] {
            raw.extend_from_slice(&v.to_ne_bytes());
        }
        let mut out = [0u8; 4];
        to_rgba8(ColorType::Rgba16, &raw, &mut out).unwrap();
        assert_eq!(out, [255, 0, 128, 255]);
        let mut out = [0u8; 8];
        to_rgba8(ColorType::La16, &raw, &mut out).unwrap();
        assert_eq!(out, [255, 255, 255, 0, 128, 128, 128, 255]);
        let floats: Vec<u8> = [1.5f32, 0.5, -1.0].iter().flat_map(|f| f.to_ne_bytes()).collect();
        let mut out = [0u8; 4];
        to_rgba8(ColorType::Rgb32F, &floats, &mut out).unwrap();
        assert_eq!(out, [255, 128, 0, 255]);
    }

    #[test]
    fn broken_and_enormous_images_are_refused() {
        let png = encode(DynamicImage::ImageRgb8(RgbImage::new(40, 30)), ImageFormat::Png);
        assert!(matches!(card(&png[..png.len() / 2]), Err(PhotoError::Unreadable(_))));
        assert!(matches!(card(b"\xFF\xD8\xFF\xE0 not a jpeg at all"), Err(PhotoError::Unreadable(_))));
        // 10,000×10 pixels compress to almost nothing but are refused before decoding.
        let huge = encode(DynamicImage::ImageLuma8(image::GrayImage::new(10_000, 10)), ImageFormat::Png);
        assert!(huge.len() < 4096);
        assert_eq!(card(&huge), Err(PhotoError::TooLarge));
    }
}
