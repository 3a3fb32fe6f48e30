//! The deterministic generator of the bundled data set from real Finnish geography.
