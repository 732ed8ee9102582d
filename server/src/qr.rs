//! QR code images: SVG for pages and badges, PNG for phones and printers that want pixels.
//! A failure (a text too long for a QR code) is a message for the server's log.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Pixels per QR module in PNG images.
const PNG_SCALE: usize = 8;
/// Quiet zone around the code, in modules (the QR standard asks for 4).
const QUIET_ZONE: usize = 4;

fn encode(text: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("QR encoding failed: {e}"))
}

/// The QR code of `text` as an SVG document.
pub fn svg(text: &str) -> Result<String, String> {
    Ok(encode(text)?
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// The QR code of `text` as a greyscale PNG.
pub fn png(text: &str) -> Result<Vec<u8>, String> {
    let code = encode(text)?;
    let modules = code.width();
    let side = (modules + 2 * QUIET_ZONE) * PNG_SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
            for row in y * PNG_SCALE..(y + 1) * PNG_SCALE {
                pixels[row * side + x * PNG_SCALE..row * side + (x + 1) * PNG_SCALE].fill(0);
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| "QR image too large".to_string())?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .map_err(|e| format!("PNG encoding failed: {e}"))?;
    Ok(out)
}
