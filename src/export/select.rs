//! Which outlets go into an export: chains, category, store/partner, region, along a route.

use super::ExportError;
use crate::model::{Category, ChainId, LonLat, MunicipalityCode, Outlet, OutletKind};
use crate::spatial::{BBox, Filter, OutletIndex};
use geo::Contains;
use std::path::Path;

/// What to export. Empty lists and `None` mean "any"; all given conditions must hold.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Any of these chains.
    pub chains: Vec<ChainId>,
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Only K-Group stores or only partners.
    pub kind: Option<OutletKind>,
    /// Inside this box.
    pub bbox: Option<BBox>,
    /// Inside this (multi)polygon, lon/lat degrees.
    pub polygon: Option<geo::MultiPolygon<f64>>,
    /// In any of these municipalities.
    pub municipalities: Vec<MunicipalityCode>,
    /// Within `corridor_m` metres of this route (ordered along it).
    pub route: Option<(Vec<LonLat>, f64)>,
}

/// The outlets a selection picked, in export order (by id, or along the route).
#[derive(Debug, Clone)]
pub struct Selected<'a> {
    /// The outlets.
    pub outlets: Vec<&'a Outlet>,
    /// A short human description of the selection, for messages and READMEs.
    pub description: String,
    /// The route of an along-route selection (GPX writes it as a track beside the stops).
    pub route: Option<Vec<LonLat>>,
}

impl Selection {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.chains.is_empty() {
            let c: Vec<&str> = self.chains.iter().map(ChainId::as_str).collect();
            parts.push(format!("chains {}", c.join(",")));
        }
        if !self.categories.is_empty() {
            let c: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
            parts.push(format!("categories {}", c.join(",")));
        }
        if let Some(k) = self.kind {
            parts.push(format!("kind {}", k.as_str()));
        }
        if let Some(b) = self.bbox {
            parts.push(format!(
                "bbox {},{},{},{}",
                b.min.lon(),
                b.min.lat(),
                b.max.lon(),
                b.max.lat()
            ));
        }
        if self.polygon.is_some() {
            parts.push("polygon".into());
        }
        if !self.municipalities.is_empty() {
            let m: Vec<String> = self.municipalities.iter().map(|m| m.to_string()).collect();
            parts.push(format!("municipality {}", m.join(",")));
        }
        if let Some((r, c)) = &self.route {
            parts.push(format!("route of {} points, corridor {c} m", r.len()));
        }
        if parts.is_empty() {
            "all outlets".into()
        } else {
            parts.join("; ")
        }
    }
}

/// Runs a selection against the index.
pub fn select<'a>(index: &'a OutletIndex, sel: &Selection) -> Result<Selected<'a>, ExportError> {
    let reg = index.registry();
    for c in &sel.chains {
        if reg.chain(c).is_none() {
            return Err(ExportError::UnknownChain(c.to_string()));
        }
    }
    let filter = Filter {
        chains: sel.chains.clone(),
        categories: sel.categories.clone(),
        kind: sel.kind,
        ..Filter::default()
    };
    let mut outlets: Vec<&'a Outlet> = if let Some((route, corridor)) = &sel.route {
        index
            .along_route(route, *corridor, &filter)?
            .into_iter()
            .map(|h| h.outlet)
            .collect()
    } else if let Some(poly) = &sel.polygon {
        index.in_polygon(poly, &filter)
    } else if let Some(b) = sel.bbox {
        index.in_bbox(b, &filter)
    } else {
        reg.outlets()
            .iter()
            .filter(|o| filter.matches(reg, o))
            .collect()
    };
    outlets.retain(|o| {
        let p = o.location;
        sel.bbox.is_none_or(|b| {
            p.lon() >= b.min.lon()
                && p.lon() <= b.max.lon()
                && p.lat() >= b.min.lat()
                && p.lat() <= b.max.lat()
        }) && sel
            .polygon
            .as_ref()
            .is_none_or(|poly| poly.contains(&p.to_point()))
            && (sel.municipalities.is_empty() || sel.municipalities.contains(&o.municipality))
    });
    Ok(Selected {
        outlets,
        description: sel.describe(),
        route: sel.route.as_ref().map(|(r, _)| r.clone()),
    })
}

/// Parses `min_lon,min_lat,max_lon,max_lat` (WGS84 degrees).
pub fn parse_bbox(s: &str) -> Result<BBox, ExportError> {
    let bad = |reason: String| ExportError::BadOption {
        field: "bbox",
        reason,
    };
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| {
            bad(format!(
                "`{s}`: {e}; expected min_lon,min_lat,max_lon,max_lat"
            ))
        })?;
    if v.len() != 4 {
        return Err(bad(format!(
            "`{s}`: expected four numbers min_lon,min_lat,max_lon,max_lat"
        )));
    }
    let min = LonLat::new(v[0], v[1]).map_err(|e| bad(e.to_string()))?;
    let max = LonLat::new(v[2], v[3]).map_err(|e| bad(e.to_string()))?;
    if min.lon() > max.lon() || min.lat() > max.lat() {
        return Err(bad(format!("`{s}`: minimum above maximum")));
    }
    Ok(BBox { min, max })
}

/// Reads a polygon or multipolygon (geometry, feature or feature collection) from a GeoJSON file.
pub fn read_polygon(path: &Path) -> Result<geo::MultiPolygon<f64>, ExportError> {
    let input = |reason: String| ExportError::Input {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| input(e.to_string()))?;
    let gj: geojson::GeoJson = text.parse().map_err(|e| input(format!("{e}")))?;
    let geometries: Vec<geojson::Geometry> = match gj {
        geojson::GeoJson::Geometry(g) => vec![g],
        geojson::GeoJson::Feature(f) => f.geometry.into_iter().collect(),
        geojson::GeoJson::FeatureCollection(fc) => {
            fc.features.into_iter().filter_map(|f| f.geometry).collect()
        }
    };
    let mut polys = Vec::new();
    for g in geometries {
        match geo::Geometry::<f64>::try_from(g).map_err(|e| input(e.to_string()))? {
            geo::Geometry::Polygon(p) => polys.push(p),
            geo::Geometry::MultiPolygon(m) => polys.extend(m.0),
            _ => return Err(input("expected Polygon or MultiPolygon geometries".into())),
        }
    }
    if polys.is_empty() {
        return Err(input("no polygon in the file".into()));
    }
    Ok(geo::MultiPolygon(polys))
}

/// Reads a route from a GPX or GeoJSON file with [`crate::spatial::route::parse_route`].
pub fn parse_gpx_route(path: &Path) -> Result<Vec<LonLat>, ExportError> {
    let input = |reason: String| ExportError::Input {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| input(e.to_string()))?;
    crate::spatial::route::parse_route(&bytes).map_err(|e| input(e.to_string()))
}
