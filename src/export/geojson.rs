//! GeoJSON FeatureCollection (RFC 7946): Point features, `[lon, lat]`, properties with the address,
//! phone, opening hours and the offers valid on the export day.

use super::{ExportContext, ExportError, Exporter, Format, OutFile, PoiSet};
use serde::Serialize;

/// Writes GeoJSON.
pub struct GeoJsonExporter;

#[derive(Serialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<Feature<'a>>,
}

#[derive(Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    geometry: Geometry,
    properties: Properties<'a>,
}

#[derive(Serialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Properties<'a> {
    id: u32,
    name: &'a str,
    chain: &'a str,
    chain_name: &'a str,
    category: &'static str,
    kind: &'static str,
    address: &'a crate::model::Address,
    municipality: String,
    phone: &'a str,
    hours: String,
    offers: Vec<OfferProps<'a>>,
    description: String,
    #[serde(rename = "marker-color")]
    marker_color: String,
}

#[derive(Serialize)]
struct OfferProps<'a> {
    id: &'a str,
    level: &'static str,
    title: &'a str,
    benefit: &'a crate::offers::Benefit,
    valid_to: chrono::NaiveDate,
    text: String,
}

impl Exporter for GeoJsonExporter {
    fn format(&self) -> Format {
        Format::GeoJson
    }

    fn files(
        &self,
        set: &PoiSet<'_>,
        stem: &str,
        ctx: &ExportContext<'_>,
    ) -> Result<Vec<OutFile>, ExportError> {
        let features = set
            .iter()
            .map(|p| {
                let o = p.outlet;
                Feature {
                    kind: "Feature",
                    id: o.id.0,
                    geometry: Geometry {
                        kind: "Point",
                        coordinates: [o.location.lon(), o.location.lat()],
                    },
                    properties: Properties {
                        id: o.id.0,
                        name: &o.name,
                        chain: o.chain.as_str(),
                        chain_name: &p.chain.name,
                        category: p.chain.category.as_str(),
                        kind: o.kind.as_str(),
                        address: &o.address,
                        municipality: o.municipality.to_string(),
                        phone: &o.phone,
                        hours: o.hours.to_string(),
                        offers: p
                            .offers
                            .iter()
                            .map(|f| OfferProps {
                                id: &f.id,
                                level: f.level.name(),
                                title: &f.title,
                                benefit: &f.benefit,
                                valid_to: f.valid_to,
                                text: super::describe_offer(f, ctx.options.lang),
                            })
                            .collect(),
                        description: p.lines.join("\n"),
                        marker_color: p.chain.colour.to_string(),
                    },
                }
            })
            .collect();
        let path = format!("{stem}.geojson");
        let bytes = serde_json::to_vec(&Collection {
            kind: "FeatureCollection",
            features,
        })
        .map_err(|e| ExportError::Io {
            path: path.clone().into(),
            source: e.into(),
        })?;
        Ok(vec![OutFile { path, bytes }])
    }
}
