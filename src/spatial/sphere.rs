//! Great-circle geometry on the mean-radius sphere, done with 3-D unit vectors.
//!
//! Why unit vectors: the straight-line (chord) distance between two unit vectors is a strictly
//! increasing function of the great-circle distance, so an R-tree over the vectors orders points
//! exactly as the great-circle metric does, with no planar approximation anywhere. Every distance
//! this module reports is derived from the chord by one function ([`chord2_to_m`]), so the index
//! and a brute-force scan compute bit-identical metres.

use crate::model::LonLat;

/// Mean Earth radius (IUGG, `R1 = (2a + b) / 3` of WGS84), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point on the unit sphere: x towards (0°E, 0°N), y towards (90°E, 0°N), z towards the north pole.
pub(crate) type Vec3 = [f64; 3];

/// The unit vector of a WGS84 position (treated as spherical lat/lon).
pub(crate) fn to_unit(p: LonLat) -> Vec3 {
    let (lat, lon) = (p.lat().to_radians(), p.lon().to_radians());
    let (sl, cl) = lat.sin_cos();
    let (so, co) = lon.sin_cos();
    [cl * co, cl * so, sl]
}

/// Squared chord length between two unit vectors (unit-sphere units; never leaves the module).
pub(crate) fn chord2(a: &Vec3, b: &Vec3) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    dx * dx + dy * dy + dz * dz
}

/// Great-circle metres for a squared chord: `2R·asin(c/2)`. Monotone non-decreasing in `c2`.
pub(crate) fn chord2_to_m(c2: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (c2.sqrt() / 2.0).min(1.0).asin()
}

/// Squared chord for a great-circle distance in metres (the inverse of [`chord2_to_m`]).
pub(crate) fn m_to_chord2(m: f64) -> f64 {
    let half = (m / (2.0 * EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
    let c = 2.0 * half.sin();
    c * c
}

/// Great-circle distance between two positions on the sphere of radius [`EARTH_RADIUS_M`], metres.
///
/// This is the metric of every [`OutletIndex`](super::OutletIndex) query. Against the WGS84
/// ellipsoid (Karney's geodesic) it is short by at most 0.5 % anywhere in Finland (measured:
/// about 0.2–0.45 %, growing towards the north); the order of results is exact for this metric.
///
/// ```
/// use storenet::model::LonLat;
/// use storenet::spatial::distance_m;
/// let helsinki = LonLat::new(24.9384, 60.1699).unwrap();
/// let tampere = LonLat::new(23.7610, 61.4978).unwrap();
/// let d = distance_m(helsinki, tampere);
/// assert!((d - 160_000.0).abs() < 2_000.0);
/// ```
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    chord2_to_m(chord2(&to_unit(a), &to_unit(b)))
}

fn dot(a: &Vec3, b: &Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: &Vec3, b: &Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: &Vec3) -> f64 {
    dot(a, a).sqrt()
}

/// One leg of a route: the shorter great-circle arc from `a` to `b`, precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Arc3 {
    pub(crate) a: Vec3,
    pub(crate) b: Vec3,
    /// Unit normal of the arc's plane, or `None` for a zero-length (or antipodal) leg.
    n: Option<Vec3>,
    /// Arc length, metres.
    pub(crate) len_m: f64,
}

impl Arc3 {
    pub(crate) fn new(a: Vec3, b: Vec3) -> Self {
        let c = cross(&a, &b);
        let l = norm(&c);
        // Below ~1e-12 (a few micrometres) the plane is numerically undefined: treat as a point.
        let n = (l > 1e-12).then(|| [c[0] / l, c[1] / l, c[2] / l]);
        Arc3 {
            a,
            b,
            n,
            len_m: chord2_to_m(chord2(&a, &b)),
        }
    }

    /// Distance from `p` to the arc, metres, and how far along the arc (metres from `a`) the
    /// closest point lies.
    pub(crate) fn distance(&self, p: &Vec3) -> (f64, f64) {
        let da = chord2_to_m(chord2(p, &self.a));
        let Some(n) = self.n else {
            return (da, 0.0);
        };
        // Foot of the perpendicular on the great circle: p with its normal component removed.
        let s = dot(p, &n);
        let f = [p[0] - s * n[0], p[1] - s * n[1], p[2] - s * n[2]];
        let fl = norm(&f);
        if fl > 0.0 {
            let f = [f[0] / fl, f[1] / fl, f[2] / fl];
            // f lies on the arc iff it is on the inner side of both end points.
            let inside = dot(&cross(&self.a, &f), &n) >= 0.0 && dot(&cross(&f, &self.b), &n) >= 0.0;
            if inside {
                let along = chord2_to_m(chord2(&self.a, &f)).min(self.len_m);
                let d = EARTH_RADIUS_M * s.abs().min(1.0).asin();
                return (d, along);
            }
        }
        let db = chord2_to_m(chord2(p, &self.b));
        if db < da {
            (db, self.len_m)
        } else {
            (da, 0.0)
        }
    }

    /// The 3-D box holding every point within `reach_m` of the arc (conservative).
    pub(crate) fn envelope(&self, reach_m: f64) -> ([f64; 3], [f64; 3]) {
        // The arc bulges outside its chord by at most 1 - cos(θ/2); a point within angle δ of the
        // arc is within chord 2·sin(δ/2) ≤ δ of it. Add both, plus slack for rounding.
        let theta = self.len_m / EARTH_RADIUS_M;
        let bulge = 1.0 - (theta / 2.0).cos();
        let pad = bulge + reach_m / EARTH_RADIUS_M * (1.0 + 1e-9) + 1e-9;
        let mut lo = [0.0; 3];
        let mut hi = [0.0; 3];
        for i in 0..3 {
            lo[i] = self.a[i].min(self.b[i]) - pad;
            hi[i] = self.a[i].max(self.b[i]) + pad;
        }
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn distance_matches_geo_haversine_with_same_radius() {
        use geo::{Distance, Haversine};
        let pairs = [
            (ll(24.9384, 60.1699), ll(25.4651, 65.0121)),
            (ll(19.9, 60.1), ll(31.5, 69.9)),
            (ll(25.0, 60.0), ll(25.0, 60.00001)),
        ];
        for (a, b) in pairs {
            let ours = distance_m(a, b);
            let theirs = Haversine.distance(a.to_point(), b.to_point());
            // geo's Haversine uses the same mean radius.
            assert!(
                (ours - theirs).abs() <= 1e-6 * theirs.max(1.0),
                "{ours} vs {theirs}"
            );
        }
    }

    #[test]
    fn chord_conversion_round_trips() {
        for m in [0.5, 10.0, 2_000.0, 500_000.0, 5_000_000.0] {
            let back = chord2_to_m(m_to_chord2(m));
            assert!((back - m).abs() < 1e-6 * m, "{m} -> {back}");
        }
    }

    #[test]
    fn arc_distance_matches_dense_sampling() {
        // Helsinki -> Oulu in one long leg; points off to both sides and past both ends.
        let a = ll(24.94, 60.17);
        let b = ll(25.47, 65.01);
        let arc = Arc3::new(to_unit(a), to_unit(b));
        for p in [
            ll(26.0, 62.0),
            ll(23.0, 63.5),
            ll(24.9, 59.5),
            ll(25.6, 66.0),
            ll(25.2, 62.6),
        ] {
            let (d, along) = arc.distance(&to_unit(p));
            // Slerp the arc densely and take the closest sample.
            let theta = arc.len_m / EARTH_RADIUS_M;
            let (best_d, best_t) = (0..=20_000)
                .map(|i| {
                    let t = i as f64 / 20_000.0;
                    let (wa, wb) = (((1.0 - t) * theta).sin(), (t * theta).sin());
                    let s = theta.sin();
                    let q = [
                        (wa * arc.a[0] + wb * arc.b[0]) / s,
                        (wa * arc.a[1] + wb * arc.b[1]) / s,
                        (wa * arc.a[2] + wb * arc.b[2]) / s,
                    ];
                    (chord2_to_m(chord2(&q, &to_unit(p))), t)
                })
                .fold(
                    (f64::INFINITY, 0.0),
                    |acc, x| if x.0 < acc.0 { x } else { acc },
                );
            // Samples are ~27 m apart along the arc.
            assert!(d <= best_d + 1e-6 && best_d - d < 50.0, "{d} vs {best_d}");
            assert!((along - best_t * arc.len_m).abs() < 200.0, "{along}");
        }
    }

    #[test]
    fn zero_length_leg_is_a_point() {
        let a = to_unit(ll(25.0, 61.0));
        let arc = Arc3::new(a, a);
        let p = ll(25.0, 61.01);
        let (d, along) = arc.distance(&to_unit(p));
        assert!((d - distance_m(ll(25.0, 61.0), p)).abs() < 1e-9);
        assert_eq!(along, 0.0);
    }
}
