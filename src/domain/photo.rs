//! Menu photos: the 4:3 card image made on the box from an upload.
//!
//! Guests see every item's photo in a grid of equal cards, whatever shape the owner's
//! camera made: the card image is the upload cropped to 4:3 around its centre, scaled to
//! 640×480 and saved as a JPEG. The original is kept for the item's own sheet.
//!
//! Memory is bounded before anything is decoded: the header says how large the decoded
//! pixels will be (width × height × bytes per pixel), and an upload whose pixels would take
//! more than [`MAX_DECODED`] is refused (a 104-byte PNG can claim 8192×8192 16-bit RGBA:
//! half a gigabyte). The crop is taken before any scaling (a view, no copy), scaled down
//! with a box filter that writes only the 640×480 result, and the camera's rotation is
//! applied to that small card, not to the photo.

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, RgbaImage, imageops};
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
    // Bounded before decoding: the pixels as decoded, plus an 8-bit RGBA copy when they are
    // not 8-bit already.
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(if w == 0 || h == 0 { PhotoError::Unreadable("empty image".into()) } else { PhotoError::TooLarge });
    }
    let color = decoder.color_type();
    let pixels = u64::from(w) * u64::from(h);
    let native = pixels * u64::from(color.bytes_per_pixel());
    let eight_bit = matches!(
        color,
        image::ColorType::Rgb8 | image::ColorType::Rgba8 | image::ColorType::L8 | image::ColorType::La8
    );
    let needed = native + if eight_bit { 0 } else { pixels * 4 };
    if needed > MAX_DECODED {
        return Err(PhotoError::TooLarge);
    }
    // Phones store the camera's rotation beside the pixels; the card shows it upright.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(classify)?;
    let (cw, ch) = if quarter_turn(orientation) { (CARD_HEIGHT, CARD_WIDTH) } else { (CARD_WIDTH, CARD_HEIGHT) };
    let small = match img {
        DynamicImage::ImageRgb8(buf) => DynamicImage::ImageRgb8(fill(&buf, cw, ch)),
        DynamicImage::ImageRgba8(buf) => DynamicImage::ImageRgba8(fill(&buf, cw, ch)),
        DynamicImage::ImageLuma8(buf) => DynamicImage::ImageLuma8(fill(&buf, cw, ch)),
        other => {
            let rgba: RgbaImage = other.into_rgba8();
            DynamicImage::ImageRgba8(fill(&rgba, cw, ch))
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

/// The centre of `img` at the aspect `cw`:`ch`, scaled to `cw`×`ch`: a crop view (no copy)
/// scaled down with a box filter (only the result is allocated), or up when the photo is
/// smaller than the card.
fn fill<P>(img: &image::ImageBuffer<P, Vec<u8>>, cw: u32, ch: u32) -> image::ImageBuffer<P, Vec<u8>>
where
    P: image::Pixel<Subpixel = u8> + 'static,
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
