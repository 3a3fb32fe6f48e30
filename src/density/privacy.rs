//! The privacy floor: a figure describing fewer than [`PRIVACY_FLOOR`] households is never shown.

use serde::{Serialize, Serializer};
use std::fmt;

/// Areas with fewer households than this have every figure about them suppressed.
pub const PRIVACY_FLOOR: u64 = 10;

/// What a suppressed figure reads as in every output (tables, CSV, JSON, GeoJSON, map legends).
pub const SUPPRESSED: &str = "<10";

/// A figure about an area (a cell, a catchment, a gap, a distance band, a municipality) that knows
/// how many households the area holds, so no output can show it for fewer than ten.
///
/// It serialises as the number, or as the string `"<10"` when the area is below the floor, and
/// displays the same way. The raw value is readable only inside the crate; outside it,
/// [`Figure::shown`] gives `None` for a suppressed figure.
///
/// ```
/// use storenet::density::Count;
/// assert_eq!(serde_json::to_string(&Count::households(9)).unwrap(), "\"<10\"");
/// assert_eq!(serde_json::to_string(&Count::households(10)).unwrap(), "10");
/// assert_eq!(Count::households(3).to_string(), "<10");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure<T> {
    value: T,
    area_households: u64,
}

/// A count of households or cardholders for an area.
pub type Count = Figure<u64>;
/// A share (0–1) or any other real-valued figure (metres, expected households) for an area.
pub type Real = Figure<f64>;

impl<T: Copy> Figure<T> {
    /// A figure about an area holding `area_households` households.
    pub fn for_area(value: T, area_households: u64) -> Self {
        Figure {
            value,
            area_households,
        }
    }

    /// True when the area is below the privacy floor and the figure is withheld.
    pub fn is_suppressed(&self) -> bool {
        self.area_households < PRIVACY_FLOOR
    }

    /// The value, or `None` when suppressed.
    pub fn shown(&self) -> Option<T> {
        (!self.is_suppressed()).then_some(self.value)
    }

    /// The figure converted (km from metres, say), for the same area: the floor carries over.
    pub fn map<U: Copy>(self, f: impl FnOnce(T) -> U) -> Figure<U> {
        Figure {
            value: f(self.value),
            area_households: self.area_households,
        }
    }

    /// The value regardless of the floor: for computations inside the crate only.
    pub(crate) fn raw(&self) -> T {
        self.value
    }
}

impl Count {
    /// A number of households, which is itself the size of its area.
    pub fn households(n: u64) -> Self {
        Figure::for_area(n, n)
    }
}

impl<T: Copy + Serialize> Serialize for Figure<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.shown() {
            Some(v) => v.serialize(s),
            None => s.serialize_str(SUPPRESSED),
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shown() {
            Some(v) => write!(f, "{v}"),
            None => f.write_str(SUPPRESSED),
        }
    }
}

impl fmt::Display for Real {
    /// Shares and distances print with the precision the caller asks for (`{:.1}`), default 3.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shown() {
            Some(v) => write!(f, "{:.*}", f.precision().unwrap_or(3), v),
            None => f.write_str(SUPPRESSED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_below_the_floor_read_as_less_than_ten_everywhere() {
        let small = Real::for_area(0.5, 9);
        assert_eq!(serde_json::to_string(&small).unwrap(), "\"<10\"");
        assert_eq!(format!("{small:.2}"), "<10");
        assert_eq!(small.shown(), None);
        let big = Real::for_area(0.5, 10);
        assert_eq!(serde_json::to_string(&big).unwrap(), "0.5");
        assert_eq!(format!("{big:.2}"), "0.50");
        let cardholders = Count::for_area(25, 9);
        assert_eq!(cardholders.to_string(), "<10");
        assert_eq!(Count::households(0).to_string(), "<10");
    }
}
