//! The one font the maps draw text with: DejaVu Sans (from Debian's `fonts-dejavu-core`; licence
//! in `data/fonts/DejaVuSans.LICENSE`), compiled in once for every map.

/// DejaVu Sans, TrueType.
pub const DEJAVU_SANS: &[u8] = include_bytes!("../data/fonts/DejaVuSans.ttf");
