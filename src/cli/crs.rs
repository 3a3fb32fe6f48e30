//! `storenet crs`: transforms coordinates read line by line, like PROJ's `cs2cs`.

use anyhow::Context;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

/// Arguments of `storenet crs`.
#[derive(Debug, clap::Args)]
pub struct CrsArgs {
    /// Source EPSG code (4326, 3067 or 2393; any code with `--features proj`).
    #[arg(long, default_value_t = 4326)]
    pub from: u32,
    /// Target EPSG code.
    #[arg(long)]
    pub to: u32,
    /// Decimals printed, 0–17 [default: to a millimetre: 3 for EPSG:3067 and 2393 (metres),
    /// 9 for degrees and other codes].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=17))]
    pub decimals: Option<u8>,
    /// File with one `x y` (or `x,y`) a line, x = longitude or easting; `-` or none: stdin.
    pub input: Option<PathBuf>,
}

/// Runs `storenet crs`: reads every point, transforms them in one parallel batch, prints `x y`.
pub fn run(args: CrsArgs) -> anyhow::Result<()> {
    let (name, reader): (String, Box<dyn BufRead>) = match &args.input {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
            (
                p.display().to_string(),
                Box::new(std::io::BufReader::new(f)),
            )
        }
        _ => ("<stdin>".to_string(), Box::new(std::io::stdin().lock())),
    };
    let mut points = Vec::new();
    let mut lines = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {name}"))?;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let mut fields = text.split([' ', '\t', ',']).filter(|f| !f.is_empty());
        let mut field = |which: &str| -> anyhow::Result<f64> {
            let raw = fields
                .next()
                .with_context(|| format!("{name}:{}: field `{which}`: missing", i + 1))?;
            raw.parse().with_context(|| {
                format!("{name}:{}: field `{which}`: `{raw}` is not a number", i + 1)
            })
        };
        points.push((field("x")?, field("y")?));
        lines.push(i + 1);
    }
    crate::crs::transform_many_epsg(args.from, args.to, &mut points).map_err(|e| {
        // Name the input line, not the batch index, so the user can find the point.
        match &e {
            crate::crs::CrsError::AtIndex { index, source } => {
                anyhow::anyhow!("{name}:{}: {source}", lines[*index])
            }
            _ => anyhow::Error::new(e),
        }
    })?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let d = args
        .decimals
        .map_or_else(|| crate::crs::millimetre_decimals(args.to), usize::from);
    for (x, y) in points {
        writeln!(out, "{x:.d$} {y:.d$}")?;
    }
    out.flush()?;
    Ok(())
}
