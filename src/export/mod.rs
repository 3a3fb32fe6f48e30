//! Navigator POI exports: GPX, TomTom OV2, Garmin GPI, Garmin POI Loader CSV, KML/KMZ, GeoJSON.
