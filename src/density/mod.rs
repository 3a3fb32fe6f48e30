//! Household density: 1 km grid cells in EPSG:3067, aggregation to areas, the privacy floor.
