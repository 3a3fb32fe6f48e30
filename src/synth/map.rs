//! A PNG map of the data set: household density, the outline and outlets by chain colour.

use super::{DataSet, SynthError};
use crate::crs::{self, Crs};
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;

/// DejaVu Sans (Bitstream Vera licence, see `data/fonts/`), for the legend.
const FONT: &[u8] = crate::fonts::DEJAVU_SANS;

/// The map's extent in EPSG:3067 km.
const XMIN: f64 = 40.0;
const XMAX: f64 = 780.0;
const YMIN: f64 = 6_590.0;
const YMAX: f64 = 7_800.0;
/// Pixels per km.
const SCALE: f64 = 0.85;

fn px(x_km: f64, y_km: f64) -> (i32, i32) {
    (
        ((x_km - XMIN) * SCALE).round() as i32,
        ((YMAX - y_km) * SCALE).round() as i32,
    )
}

fn hex(c: &str) -> RGBColor {
    let p = |i: usize| u8::from_str_radix(c.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    RGBColor(p(1), p(3), p(5))
}

/// Draws the data set into a PNG at `path` (written atomically).
pub fn render_map(set: &DataSet, path: &Path) -> Result<(), SynthError> {
    let err = |reason: String| SynthError::Map {
        path: path.to_path_buf(),
        reason,
    };
    // Registering the same font again replaces it; the bytes are valid TrueType.
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| err("bundled font is not valid TrueType".into()))?;
    let w = ((XMAX - XMIN) * SCALE) as u32;
    let h = ((YMAX - YMIN) * SCALE) as u32;
    let tmp = path.with_extension("tmp.png");
    let drawn = draw(set, &tmp, w, h, &err);
    if drawn.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    drawn?;
    std::fs::rename(&tmp, path).map_err(|source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Draws into `tmp`.
fn draw(
    set: &DataSet,
    tmp: &Path,
    w: u32,
    h: u32,
    err: &dyn Fn(String) -> SynthError,
) -> Result<(), SynthError> {
    {
        let root = BitMapBackend::new(tmp, (w, h)).into_drawing_area();
        let e = |x: DrawingAreaErrorKind<_>| err(x.to_string());
        root.fill(&RGBColor(214, 230, 242)).map_err(e)?;
        for poly in crate::finland::outline().shape() {
            let mut pts = Vec::with_capacity(poly.exterior().0.len());
            for c in &poly.exterior().0 {
                let (x, y) = crs::transform(Crs::Wgs84, Crs::Tm35Fin, c.x, c.y)?;
                pts.push(px(x / 1000.0, y / 1000.0));
            }
            root.draw(&Polygon::new(pts, RGBColor(245, 243, 236).filled()))
                .map_err(e)?;
        }
        let cell = (SCALE.ceil() as i32).max(1);
        for c in &set.cells {
            // Log scale: 1 household is faint, 2,000 or more is dark.
            let t = (f64::from(c.households + 1).ln() / 2000f64.ln()).clamp(0.0, 1.0);
            let shade = |a: f64, b: f64| (a + (b - a) * t) as u8;
            let colour = RGBColor(shade(228.0, 55.0), shade(220.0, 50.0), shade(195.0, 45.0));
            let (x, y) = px(c.x as f64 / 1000.0, c.y as f64 / 1000.0 + 1.0);
            root.draw(&Rectangle::new(
                [(x, y), (x + cell, y + cell)],
                colour.filled(),
            ))
            .map_err(e)?;
        }
        // Small formats first, so the few big boxes stay visible on top.
        for chain in set.chains.iter().rev() {
            let colour = hex(chain.colour);
            for o in set.outlets.iter().filter(|o| o.chain == chain.id) {
                let (x, y) = crs::transform(Crs::Wgs84, Crs::Tm35Fin, o.lon, o.lat)?;
                let p = px(x / 1000.0, y / 1000.0);
                root.draw(&Circle::new(p, 2, colour.filled())).map_err(e)?;
            }
        }
        let font = ("sans-serif", 14).into_font();
        root.draw(&Text::new(
            "storenet synthetic data set: households (grey) and outlets",
            (10, 10),
            font.clone(),
        ))
        .map_err(e)?;
        for (i, chain) in set.chains.iter().enumerate() {
            let y = 40 + 18 * i as i32;
            let n = set.outlets.iter().filter(|o| o.chain == chain.id).count();
            root.draw(&Circle::new(
                (w as i32 - 200, y + 7),
                5,
                hex(chain.colour).filled(),
            ))
            .map_err(e)?;
            root.draw(&Text::new(
                format!("{} ({n})", chain.name),
                (w as i32 - 188, y),
                font.clone(),
            ))
            .map_err(e)?;
        }
        root.present().map_err(e)?;
    }
    Ok(())
}
