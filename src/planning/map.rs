//! Maps of the planning reports (plotters; PNG or SVG by the file's extension): the Finland
//! outline, a heat map of density, distance or gaps, outlets in their chain colours, marked
//! points (gaps, suggested sites), a legend and a scale bar. Drawn in EPSG:3067 metres.

use super::{PlanContext, PlanError};
use crate::crs::{self, Crs};
use crate::density::SUPPRESSED;
use crate::model::{ChainId, LonLat, Outlet};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Once;

/// The bundled font (DejaVu Sans, licence in `data/fonts/DejaVuSans.LICENSE`).
static FONT: &[u8] = crate::fonts::DEJAVU_SANS;
const FAMILY: &str = "sans-serif";

/// What colours the cells.
#[derive(Debug, Clone)]
pub enum Heat {
    /// Households per cell, in bins whose lowest is `<10`.
    Density,
    /// Distance of each cell (grid order) to the nearest outlet, metres.
    Distance(Vec<f64>),
    /// Cells in a gap (grid order) drawn strong, others faint.
    Gaps(Vec<bool>),
}

/// A marked point with a short label.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Where.
    pub location: LonLat,
    /// Drawn next to it.
    pub label: String,
}

/// Everything on one map.
#[derive(Debug, Clone)]
pub struct MapSpec<'a> {
    /// Heading.
    pub title: String,
    /// Outlets drawn as dots in their chain's colour.
    pub outlets: Vec<&'a Outlet>,
    /// The heat layer.
    pub heat: Heat,
    /// Marked points.
    pub marks: Vec<Mark>,
    /// What the marks are, for the legend (`suggested site`, `gap`).
    pub mark_label: String,
}

const W: u32 = 900;
const H: u32 = 1400;
const X0: f64 = 40_000.0;
const X1: f64 = 780_000.0;
const Y0: f64 = 6_590_000.0;
const Y1: f64 = 7_800_000.0;

const DENSITY_BINS: [(u64, &str, RGBColor); 5] = [
    (0, SUPPRESSED, RGBColor(255, 237, 160)),
    (10, "10–49", RGBColor(254, 178, 76)),
    (50, "50–199", RGBColor(253, 141, 60)),
    (200, "200–999", RGBColor(227, 26, 28)),
    (1000, "≥ 1000", RGBColor(128, 0, 38)),
];
const DISTANCE_BINS: [(f64, &str, RGBColor); 6] = [
    (1_000.0, "≤ 1 km", RGBColor(0, 104, 55)),
    (2_000.0, "1–2 km", RGBColor(49, 163, 84)),
    (5_000.0, "2–5 km", RGBColor(173, 221, 142)),
    (10_000.0, "5–10 km", RGBColor(254, 224, 139)),
    (20_000.0, "10–20 km", RGBColor(252, 141, 89)),
    (f64::INFINITY, "> 20 km", RGBColor(215, 48, 39)),
];

fn map_err(e: impl std::fmt::Display) -> PlanError {
    PlanError::Map(e.to_string())
}

/// Draws the map to `path` (`.png` or `.svg`), atomically (temporary file, then rename).
pub fn draw(ctx: &PlanContext, spec: &MapSpec<'_>, path: &Path) -> Result<(), PlanError> {
    register_font();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| PlanError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("map");
    let tmp = dir.join(format!(".tmp-{}-{name}", std::process::id()));
    let res = match ext.as_str() {
        "png" => {
            let root = BitMapBackend::new(&tmp, (W, H)).into_drawing_area();
            render(ctx, spec, &root, 1).and_then(|_| root.present().map_err(map_err))
        }
        "svg" => {
            let root = SVGBackend::new(&tmp, (W, H)).into_drawing_area();
            // Vector output draws 4 km blocks: a million-rectangle SVG helps nobody.
            render(ctx, spec, &root, 4).and_then(|_| root.present().map_err(map_err))
        }
        _ => Err(PlanError::BadParam {
            field: "map",
            reason: format!("{}: use a .png or .svg file name", path.display()),
        }),
    };
    match res {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|source| PlanError::Io {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The map as PNG bytes (for an HTTP response): drawn through a private temporary file.
pub fn png_bytes(ctx: &PlanContext, spec: &MapSpec<'_>) -> Result<Vec<u8>, PlanError> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("storenet-map-{}-{n}.png", std::process::id()));
    draw(ctx, spec, &path)?;
    let bytes = std::fs::read(&path).map_err(|source| PlanError::Io {
        path: path.clone(),
        source,
    });
    let _ = std::fs::remove_file(&path);
    bytes
}

/// The map as SVG text.
pub fn svg_string(ctx: &PlanContext, spec: &MapSpec<'_>) -> Result<String, PlanError> {
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, H)).into_drawing_area();
        render(ctx, spec, &root, 4)?;
        root.present().map_err(map_err)?;
    }
    Ok(out)
}

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bundled font is checked by the map tests; if it failed, text would be missing.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

fn tm35(p: LonLat) -> Option<(f64, f64)> {
    crs::from_wgs84(Crs::Tm35Fin, p).ok()
}

fn render<DB: DrawingBackend>(
    ctx: &PlanContext,
    spec: &MapSpec<'_>,
    root: &DrawingArea<DB, Shift>,
    block_cells: i64,
) -> Result<(), PlanError>
where
    DB::ErrorType: 'static,
{
    root.fill(&RGBColor(214, 232, 245)).map_err(map_err)?;
    let mut chart = ChartBuilder::on(root)
        .margin(8)
        .caption(&spec.title, (FAMILY, 24))
        .build_cartesian_2d(X0..X1, Y0..Y1)
        .map_err(map_err)?;
    // Land.
    for poly in crate::finland::outline().shape() {
        let ring: Vec<(f64, f64)> = poly
            .exterior()
            .coords()
            .filter_map(|c| LonLat::new(c.x, c.y).ok().and_then(tm35))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                ring.clone(),
                RGBColor(250, 250, 245).filled(),
            )))
            .map_err(map_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                ring,
                RGBColor(120, 120, 120),
            )))
            .map_err(map_err)?;
    }
    // Heat layer, over blocks of `block_cells` cells.
    let grid = ctx.grid();
    let s = grid.cell_size_m() as i64 * block_cells;
    let mut tallies: BTreeMap<(i64, i64), (crate::density::Tally, f64, bool)> = BTreeMap::new();
    for (i, c) in grid.cells().iter().enumerate() {
        let b = tallies
            .entry((c.x.div_euclid(s), c.y.div_euclid(s)))
            .or_insert((Default::default(), f64::INFINITY, false));
        b.0 += c.tally();
        match &spec.heat {
            Heat::Distance(d) => b.1 = b.1.min(d.get(i).copied().unwrap_or(f64::INFINITY)),
            Heat::Gaps(g) => b.2 |= g.get(i).copied().unwrap_or(false),
            Heat::Density => {}
        }
    }
    // Density colours follow the published (perturbed, floored) figures of the blocks.
    let blocks: BTreeMap<(i64, i64), (u64, f64, bool)> = tallies
        .into_iter()
        .map(|(k, (t, d, g))| (k, (t.households().shown().unwrap_or(0), d, g)))
        .collect();
    let colour = |&(hh, d, gap): &(u64, f64, bool)| -> RGBColor {
        match &spec.heat {
            Heat::Density => DENSITY_BINS
                .iter()
                .rev()
                .find(|b| hh >= b.0)
                .map_or(DENSITY_BINS[0].2, |b| b.2),
            Heat::Distance(_) => DISTANCE_BINS
                .iter()
                .find(|b| d <= b.0)
                .map_or(DISTANCE_BINS[5].2, |b| b.2),
            Heat::Gaps(_) if gap => RGBColor(123, 50, 148),
            Heat::Gaps(_) => RGBColor(200, 200, 200),
        }
    };
    chart
        .draw_series(blocks.iter().map(|(&(bx, by), v)| {
            let (x, y) = ((bx * s) as f64, (by * s) as f64);
            Rectangle::new([(x, y), (x + s as f64, y + s as f64)], colour(v).filled())
        }))
        .map_err(map_err)?;
    // Outlets.
    let reg = ctx.registry();
    let mut chains: BTreeMap<ChainId, RGBColor> = BTreeMap::new();
    let dots: Vec<((f64, f64), RGBColor)> = spec
        .outlets
        .iter()
        .filter_map(|o| {
            let c = reg.chain_of(o).colour;
            let rgb = RGBColor(c.0, c.1, c.2);
            chains.insert(o.chain.clone(), rgb);
            tm35(o.location).map(|p| (p, rgb))
        })
        .collect();
    chart
        .draw_series(dots.iter().map(|&(p, c)| Circle::new(p, 3, c.filled())))
        .map_err(map_err)?;
    // Marks with labels.
    for m in &spec.marks {
        if let Some(p) = tm35(m.location) {
            chart
                .draw_series(std::iter::once(Cross::new(
                    p,
                    7,
                    ShapeStyle::from(&BLACK).stroke_width(3),
                )))
                .map_err(map_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    m.label.clone(),
                    (p.0 + 6_000.0, p.1 + 4_000.0),
                    (FAMILY, 14),
                )))
                .map_err(map_err)?;
        }
    }
    // Scale bar: 100 km along TM35FIN (scale factor 0.9996: true to 0.04%).
    let (sx, sy) = (X0 + 420_000.0, Y0 + 40_000.0);
    let bar = ShapeStyle::from(&BLACK).stroke_width(3);
    chart
        .draw_series([
            PathElement::new(vec![(sx, sy), (sx + 100_000.0, sy)], bar),
            PathElement::new(vec![(sx, sy - 6_000.0), (sx, sy + 6_000.0)], bar),
            PathElement::new(
                vec![(sx + 50_000.0, sy - 4_000.0), (sx + 50_000.0, sy + 4_000.0)],
                bar,
            ),
            PathElement::new(
                vec![
                    (sx + 100_000.0, sy - 6_000.0),
                    (sx + 100_000.0, sy + 6_000.0),
                ],
                bar,
            ),
        ])
        .map_err(map_err)?;
    chart
        .draw_series([
            Text::new("0".to_string(), (sx - 4_000.0, sy + 22_000.0), (FAMILY, 14)),
            Text::new(
                "100 km".to_string(),
                (sx + 88_000.0, sy + 22_000.0),
                (FAMILY, 14),
            ),
        ])
        .map_err(map_err)?;
    // Legend, top left (over Sweden and Norway, where no cell is drawn).
    let y = std::cell::Cell::new(60);
    let font = (FAMILY, 15).into_font();
    let entry = |c: RGBColor, label: &str, dot: bool| -> Result<(), PlanError> {
        let y0 = y.get();
        if dot {
            root.draw(&Circle::new((26, y0 + 7), 5, c.filled()))
                .map_err(map_err)?;
        } else {
            root.draw(&Rectangle::new([(20, y0), (34, y0 + 14)], c.filled()))
                .map_err(map_err)?;
        }
        root.draw(&Text::new(label.to_string(), (42, y0), font.clone()))
            .map_err(map_err)?;
        y.set(y0 + 20);
        Ok(())
    };
    match &spec.heat {
        Heat::Density => {
            for b in DENSITY_BINS {
                entry(b.2, &format!("{} households / cell", b.1), false)?;
            }
        }
        Heat::Distance(_) => {
            for b in DISTANCE_BINS {
                entry(b.2, &format!("{} to nearest outlet", b.1), false)?;
            }
        }
        Heat::Gaps(_) => {
            entry(RGBColor(123, 50, 148), "gap: no outlet within D", false)?;
            entry(RGBColor(200, 200, 200), "served", false)?;
        }
    }
    y.set(y.get() + 8);
    for (id, c) in &chains {
        let name = reg.chain(id).map_or(id.as_str(), |c| c.name.as_str());
        entry(*c, name, true)?;
    }
    if !spec.marks.is_empty() {
        let y0 = y.get() + 8;
        root.draw(&Cross::new(
            (27, y0 + 7),
            6,
            ShapeStyle::from(&BLACK).stroke_width(3),
        ))
        .map_err(map_err)?;
        root.draw(&Text::new(spec.mark_label.clone(), (42, y0), font.clone()))
            .map_err(map_err)?;
    }
    Ok(())
}
