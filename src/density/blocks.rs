//! Density blocks: cells summed into squares of a fixed national grid (EPSG:3067 multiples of the
//! block size), so a block is the same set of cells whatever box selected it.

use super::privacy::Tally;
use super::{Count, Grid};
use crate::spatial::BBox;
use std::collections::BTreeMap;

/// One block of the national grid and its figures.
#[derive(Debug, Clone)]
pub struct Block {
    /// South-west corner, EPSG:3067 easting, metres (a multiple of the block size).
    pub x: i64,
    /// South-west corner, EPSG:3067 northing, metres (a multiple of the block size).
    pub y: i64,
    /// Households in the whole block, perturbed and floored.
    pub households: Count,
    /// Cardholders in the whole block, perturbed and floored.
    pub cardholders: Count,
}

/// Blocks of one size.
#[derive(Debug, Clone)]
pub struct Blocks {
    /// Side of a block, metres: the cell size times a power of two.
    pub block_m: i64,
    /// The blocks, south to north, west to east.
    pub blocks: Vec<Block>,
}

/// The largest block, in cells along a side.
const MAX_FACTOR: i64 = 1024;

/// The blocks of the national grid that hold a cell whose centre lies in `bbox` (every block
/// without one), each with the figures of **all** its cells, inside the box or not: a box only
/// chooses whole blocks, so two boxes differing by a sliver give the same figures for the blocks
/// they share. Blocks are the grid's cells when at most `max_blocks` are selected, else squares of
/// 2, 4, 8… cells, aligned to multiples of their size in EPSG:3067, until they fit (at most 1024
/// cells a side).
pub fn blocks(grid: &Grid, bbox: Option<BBox>, max_blocks: usize) -> Blocks {
    let size = grid.cell_size_m() as i64;
    let inside = |c: &super::Cell| {
        bbox.is_none_or(|b| {
            (b.min.lon()..=b.max.lon()).contains(&c.centre.lon())
                && (b.min.lat()..=b.max.lat()).contains(&c.centre.lat())
        })
    };
    let chosen: Vec<(i64, i64)> = grid
        .cells()
        .iter()
        .filter(|c| inside(c))
        .map(|c| grid.col_row(c))
        .collect();
    let mut factor = 1i64;
    let selected = loop {
        let set: std::collections::BTreeSet<(i64, i64)> = chosen
            .iter()
            .map(|&(c, r)| (c.div_euclid(factor), r.div_euclid(factor)))
            .collect();
        if set.len() <= max_blocks || factor >= MAX_FACTOR {
            break set;
        }
        factor *= 2;
    };
    // Every cell of a selected block counts, including those outside the box.
    let mut tallies: BTreeMap<(i64, i64), Tally> = BTreeMap::new();
    for c in grid.cells() {
        let (col, row) = grid.col_row(c);
        let b = (col.div_euclid(factor), row.div_euclid(factor));
        if selected.contains(&b) {
            *tallies.entry(b).or_default() += c.tally();
        }
    }
    let block_m = size * factor;
    let mut blocks: Vec<Block> = tallies
        .into_iter()
        .map(|((bc, br), t)| Block {
            x: bc * block_m,
            y: br * block_m,
            households: t.households(),
            cardholders: t.cardholders(),
        })
        .collect();
    blocks.sort_by_key(|b| (b.y, b.x));
    Blocks { block_m, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;

    #[test]
    fn a_box_selects_whole_blocks_so_a_sliver_changes_no_figure() {
        // A 2×2 km block of four cells; boxes that cut through it differently.
        let cells = [(0, 0, 16, 25), (1, 0, 4, 7), (0, 1, 30, 40), (1, 1, 12, 20)]
            .map(|(c, r, h, ch)| (380_000 + c * 1000, 6_700_000 + r * 1000, h, ch));
        let grid = Grid::from_cells(cells, 1000).unwrap();
        let centre = |i: usize| grid.cells()[i].centre;
        let bbox_around = |ids: &[usize]| {
            let lons = ids.iter().map(|&i| centre(i).lon());
            let lats = ids.iter().map(|&i| centre(i).lat());
            let (a, b) = (
                lons.clone().fold(f64::MAX, f64::min),
                lons.fold(f64::MIN, f64::max),
            );
            let (c, d) = (
                lats.clone().fold(f64::MAX, f64::min),
                lats.fold(f64::MIN, f64::max),
            );
            BBox {
                min: LonLat::new(a - 1e-6, c - 1e-6).unwrap(),
                max: LonLat::new(b + 1e-6, d + 1e-6).unwrap(),
            }
        };
        let all = blocks(&grid, Some(bbox_around(&[0, 1, 2, 3])), 1);
        let three = blocks(&grid, Some(bbox_around(&[0, 2, 3])), 1);
        assert_eq!(all.block_m, 2000);
        assert_eq!(three.block_m, 2000);
        assert_eq!(all.blocks[0].households, three.blocks[0].households);
        assert_eq!(all.blocks[0].cardholders, three.blocks[0].cardholders);
        assert_eq!(all.blocks[0].x % 2000, 0);
        assert_eq!(all.blocks[0].households.raw(), 62);
    }
}
