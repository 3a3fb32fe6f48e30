//! Network planning against household density: coverage, catchments, gaps, what-if, siting, Huff.
