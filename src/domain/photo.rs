//! Menu photos: the 4:3 card image made on the box from an upload.
//!
//! Guests see every item's photo in a grid of equal cards, whatever shape the owner's
//! camera made: the card image is the upload cropped to 4:3 around its centre, scaled to
//! 640×480 and saved as a JPEG. The original is kept for the item's own sheet.

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, imageops::FilterType};
use std::io::Cursor;

pub const CARD_WIDTH: u32 = 640;
pub const CARD_HEIGHT: u32 = 480;
/// Largest side accepted: a phone's 12–50 MP photo fits; a decompression bomb does not.
pub const MAX_SIDE: u32 = 8192;
/// Decoding memory at most (a 24 MP RGBA photo is 96 MB); one decode at a time.
const MAX_ALLOC: u64 = 160 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the image could not be read: {0}")]
    Unreadable(String),
    #[error("images are limited to {MAX_SIDE}×{MAX_SIDE} pixels")]
    TooLarge,
}

/// Decodes an upload and makes its card image (JPEG, 640×480), transparent parts on white.
pub fn card(data: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader =
        ImageReader::new(Cursor::new(data)).with_guessed_format().map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    // Phones store the camera's rotation beside the pixels; the card shows it upright.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(classify)?;
    img.apply_orientation(orientation);
    let scaled = img.resize_to_fill(CARD_WIDTH, CARD_HEIGHT, FilterType::Triangle);
    let rgb = on_white(scaled);
    let mut out = Vec::with_capacity(64 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(out)
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
