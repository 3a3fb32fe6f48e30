//! Opening hours in the OpenStreetMap `opening_hours` syntax subset that shops use.
//!
//! INTERFACE STUB: the registry work replaces the body with the real parser and schedule.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why an opening-hours string could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid opening hours `{input}`: {reason}")]
pub struct HoursError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A weekly opening schedule, e.g. `Mo-Fr 07:00-21:00; Sa 08:00-21:00; Su 10:00-21:00`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpeningHours {
    raw: String,
}

impl OpeningHours {
    /// Parses the text.
    pub fn parse(s: &str) -> Result<Self, HoursError> {
        if s.trim().is_empty() {
            return Err(HoursError {
                input: s.into(),
                reason: "empty".into(),
            });
        }
        Ok(OpeningHours {
            raw: s.trim().to_string(),
        })
    }

    /// Open at this local Europe/Helsinki wall-clock time?
    pub fn is_open_local(&self, _local: NaiveDateTime) -> bool {
        true
    }

    /// Open at this instant (converted to Europe/Helsinki local time)?
    pub fn is_open_at(&self, t: DateTime<Utc>) -> bool {
        self.is_open_local(t.with_timezone(&chrono_tz::Europe::Helsinki).naive_local())
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl FromStr for OpeningHours {
    type Err = HoursError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OpeningHours::parse(s)
    }
}

impl TryFrom<String> for OpeningHours {
    type Error = HoursError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        OpeningHours::parse(&s)
    }
}

impl From<OpeningHours> for String {
    fn from(h: OpeningHours) -> String {
        h.to_string()
    }
}
