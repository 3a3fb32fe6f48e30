//! Chain icons drawn by our code: a disc in the chain's colour with its letter from a built-in
//! 5×7 bitmap font, encoded as BMP (OV2, GPI, Garmin CSV) and PNG (KML/KMZ). Every format gets the
//! same pixels.

use crate::model::{Chain, Rgb};
use unicode_normalization::UnicodeNormalization;

/// Icon width and height in pixels: TomTom's classic 22×22, within Garmin's 24×24 limit.
pub const SIZE: usize = 22;

/// Palette index of the transparent background (magenta in BMP, alpha 0 in PNG).
pub const TRANSPARENT: u8 = 0;
/// The magenta that Garmin and TomTom treat as transparent.
pub const MAGENTA: Rgb = Rgb(0xFF, 0x00, 0xFF);

/// A 22×22 indexed image with a four-colour palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icon {
    /// Palette: transparent, fill, letter, outline.
    pub palette: [Rgb; 4],
    /// Row-major palette indices, top row first.
    pub pixels: Vec<u8>,
}

/// Glyph rows, 5 bits each (bit 4 = leftmost column).
fn glyph(c: char) -> [u8; 7] {
    match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        _ => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04], // '?'
    }
}

/// The font character for `c`: upper case, accents dropped (Ä → A), `?` if the font lacks it.
fn font_char(c: char) -> char {
    let up = c.to_uppercase().next().unwrap_or(c);
    let base = up.nfd().next().unwrap_or(up);
    if base.is_ascii_uppercase() || base.is_ascii_digit() {
        base
    } else {
        '?'
    }
}

fn darker(c: Rgb) -> Rgb {
    Rgb(c.0 / 2, c.1 / 2, c.2 / 2)
}

fn is_light(c: Rgb) -> bool {
    // Rec. 601 luma: a dark letter on a light disc stays readable.
    299 * c.0 as u32 + 587 * c.1 as u32 + 114 * c.2 as u32 > 160_000
}

impl Icon {
    /// The icon of a chain: its colour and letter.
    pub fn for_chain(chain: &Chain) -> Icon {
        Icon::new(chain.colour, chain.icon)
    }

    /// A disc of `colour` with `letter` on it.
    pub fn new(colour: Rgb, letter: char) -> Icon {
        let ink = if is_light(colour) {
            Rgb(0, 0, 0)
        } else {
            Rgb(0xFF, 0xFF, 0xFF)
        };
        let palette = [MAGENTA, colour, ink, darker(colour)];
        let mut pixels = vec![TRANSPARENT; SIZE * SIZE];
        let centre = (SIZE as f64 - 1.0) / 2.0;
        let r = SIZE as f64 / 2.0;
        for y in 0..SIZE {
            for x in 0..SIZE {
                let d = ((x as f64 - centre).powi(2) + (y as f64 - centre).powi(2)).sqrt();
                if d <= r - 1.0 {
                    pixels[y * SIZE + x] = 1;
                } else if d <= r {
                    pixels[y * SIZE + x] = 3;
                }
            }
        }
        // The 5×7 glyph scaled ×2 is 10×14: centred in 22×22 at (6, 4).
        let rows = glyph(font_char(letter));
        for (gy, bits) in rows.iter().enumerate() {
            for gx in 0..5 {
                if bits & (0x10 >> gx) != 0 {
                    for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let (x, y) = (6 + gx * 2 + dx, 4 + gy * 2 + dy);
                        pixels[y * SIZE + x] = 2;
                    }
                }
            }
        }
        Icon { palette, pixels }
    }

    /// A Windows BMP: 8 bits per pixel, 16-colour palette, bottom-up rows padded to 4 bytes.
    pub fn to_bmp(&self) -> Vec<u8> {
        const COLOURS: u32 = 16;
        let row = SIZE.div_ceil(4) * 4;
        let image = (row * SIZE) as u32;
        let offset = 14 + 40 + 4 * COLOURS;
        let mut b = Vec::with_capacity((offset + image) as usize);
        b.extend_from_slice(b"BM");
        b.extend_from_slice(&(offset + image).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&offset.to_le_bytes());
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&(SIZE as i32).to_le_bytes());
        b.extend_from_slice(&(SIZE as i32).to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&8u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // BI_RGB
        b.extend_from_slice(&image.to_le_bytes());
        b.extend_from_slice(&2835i32.to_le_bytes()); // 72 dpi
        b.extend_from_slice(&2835i32.to_le_bytes());
        b.extend_from_slice(&COLOURS.to_le_bytes());
        b.extend_from_slice(&COLOURS.to_le_bytes());
        for i in 0..COLOURS as usize {
            let c = self.palette.get(i).copied().unwrap_or(Rgb(0, 0, 0));
            b.extend_from_slice(&[c.2, c.1, c.0, 0]);
        }
        for y in (0..SIZE).rev() {
            b.extend_from_slice(&self.pixels[y * SIZE..(y + 1) * SIZE]);
            b.resize(b.len() + row - SIZE, 0);
        }
        b
    }

    /// A PNG with true transparency outside the disc.
    pub fn to_png(&self) -> Vec<u8> {
        let mut rgba = Vec::with_capacity(SIZE * SIZE * 4);
        for &p in &self.pixels {
            let c = self.palette[p as usize];
            let a = if p == TRANSPARENT { 0 } else { 0xFF };
            rgba.extend_from_slice(&[c.0, c.1, c.2, a]);
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, SIZE as u32, SIZE as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        // Writing into a Vec cannot fail and the data length matches the header by construction.
        let written = enc
            .write_header()
            .and_then(|mut w| w.write_image_data(&rgba));
        debug_assert!(written.is_ok(), "PNG encoding into memory failed");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icon_has_letter_pixels_on_the_disc() {
        let i = Icon::new(Rgb(0xe2, 0, 0x1a), 'M');
        assert_eq!(i.pixels.len(), SIZE * SIZE);
        assert_eq!(i.pixels[0], TRANSPARENT);
        assert!(i.pixels.contains(&2));
        assert_ne!(Icon::new(Rgb(0xe2, 0, 0x1a), 'K').pixels, i.pixels);
        assert_eq!(font_char('ä'), 'A');
        assert_eq!(font_char('€'), '?');
    }

    #[test]
    fn bmp_header_and_size_agree() {
        let b = Icon::new(Rgb(1, 2, 3), 'C').to_bmp();
        assert_eq!(&b[..2], b"BM");
        assert_eq!(
            u32::from_le_bytes(b[2..6].try_into().unwrap()) as usize,
            b.len()
        );
        assert_eq!(i32::from_le_bytes(b[18..22].try_into().unwrap()), 22);
        assert_eq!(u16::from_le_bytes(b[28..30].try_into().unwrap()), 8);
    }

    #[test]
    fn png_decodes_to_the_same_pixels() {
        let i = Icon::new(Rgb(0x15, 0x65, 0xc0), 'R');
        let png = i.to_png();
        let dec = png::Decoder::new(&png[..]);
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (22, 22));
        assert_eq!(buf[3], 0, "corner is transparent");
        let mid = (11 * 22 + 1) * 4;
        assert_eq!(&buf[mid..mid + 4], &[0x15, 0x65, 0xc0, 0xff]);
    }
}
