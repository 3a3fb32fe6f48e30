//! The service's settings: defaults here, then a config file, then `STORENET_*` variables and flags.
//!
//! | field            | default                 | flag / variable                          |
//! |------------------|-------------------------|------------------------------------------|
//! | `bind`           | `127.0.0.1:8080`        | `--bind` / `STORENET_BIND`               |
//! | `database_url`   | `sqlite://storenet.db`  | `--database-url` / `STORENET_DATABASE_URL` |
//! | `data_dir`       | `data`                  | `--data-dir` / `STORENET_DATA_DIR`       |
//! | `workers`        | number of cores         | `--workers` / `STORENET_WORKERS`         |
//! | `max_body_bytes` | `5242880` (5 MiB)       | config file only                         |
//! | `registry_poll_ms` | `2000` (0: off)       | config file only                         |
//! | `rules`          | [`Rules::default`]      | `--rules FILE` / `STORENET_RULES` (TOML or JSON of [`Rules`]), or the config file's `[rules]` table |
//!
//! The config file is TOML (`*.toml`) or JSON (`*.json`) with any of these fields; unknown fields
//! are refused so a typo does not silently fall back to a default.

use crate::ledger::Rules;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading config file {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for the settings.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the position.
        message: String,
    },
    /// The file's extension is neither `.toml` nor `.json`.
    #[error("config file {0}: use a .toml or .json file")]
    Format(PathBuf),
    /// The `[rules]` table is not a usable rule set.
    #[error("setting `rules`: {0}")]
    Rules(String),
    /// A `--rules` file that cannot be read or is not a usable rule set.
    #[error("rules file {path}: {message}")]
    RulesFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A setting with an impossible value.
    #[error("setting `{field}`: {reason}")]
    Invalid {
        /// Which setting.
        field: &'static str,
        /// What is allowed.
        reason: &'static str,
    },
}

/// Default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default interval of the registry poll, milliseconds.
pub const DEFAULT_REGISTRY_POLL_MS: u64 = 2_000;
/// Default largest request body, bytes (GPX routes and polygons).
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Everything `storenet serve` needs. See the module documentation for defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// Database URL: `sqlite://FILE` or `postgres://USER@HOST/DB`.
    pub database_url: String,
    /// Directory with `chains.csv` and `outlets.csv`, imported when the database is empty.
    pub data_dir: PathBuf,
    /// HTTP worker threads; `None` uses one per core.
    pub workers: Option<usize>,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// How often, in milliseconds, to look for outlet changes made by other instances on the
    /// same database (see `http::sync`); 0 turns it off.
    pub registry_poll_ms: u64,
    /// The loyalty programme's rules (points, bonus steps, conversion).
    pub rules: Rules,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: DEFAULT_BIND
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database_url: crate::db::DEFAULT_URL.to_string(),
            data_dir: PathBuf::from("data"),
            workers: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            registry_poll_ms: DEFAULT_REGISTRY_POLL_MS,
            rules: Rules::default(),
        }
    }
}

/// Values given on the command line or in the environment; each one set replaces the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--bind`.
    pub bind: Option<SocketAddr>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--workers`.
    pub workers: Option<usize>,
    /// `--rules FILE`, read by [`load_rules`].
    pub rules: Option<Rules>,
}

/// Reads a rules file (`--rules FILE`): TOML (`*.toml`) or JSON (`*.json`) with any fields of
/// [`Rules`] (those left out keep their defaults; unknown ones are refused), validated.
pub fn load_rules(path: &Path) -> Result<Rules, ConfigError> {
    let err = |message: String| ConfigError::RulesFile {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let rules: Rules = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => toml::from_str(&text).map_err(|e| err(e.to_string()))?,
        Some("json") => serde_json::from_str(&text).map_err(|e| err(e.to_string()))?,
        _ => return Err(err("use a .toml or .json file".into())),
    };
    rules.validate().map_err(|e| err(e.0))?;
    Ok(rules)
}

impl Settings {
    /// Reads a TOML or JSON settings file; fields it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let parse_err = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => toml::from_str(&text).map_err(|e| parse_err(e.to_string())),
            Some("json") => serde_json::from_str(&text).map_err(|e| parse_err(e.to_string())),
            _ => Err(ConfigError::Format(path.to_path_buf())),
        }
    }

    /// Defaults, then the file (if any), then the overrides; validated.
    pub fn load(file: Option<&Path>, over: Overrides) -> Result<Settings, ConfigError> {
        let mut s = match file {
            Some(p) => Settings::from_file(p)?,
            None => Settings::default(),
        };
        if let Some(b) = over.bind {
            s.bind = b;
        }
        if let Some(u) = over.database_url {
            s.database_url = u;
        }
        if let Some(d) = over.data_dir {
            s.data_dir = d;
        }
        if over.workers.is_some() {
            s.workers = over.workers;
        }
        if let Some(r) = over.rules {
            s.rules = r;
        }
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.workers == Some(0) {
            return Err(ConfigError::Invalid {
                field: "workers",
                reason: "must be at least 1",
            });
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                field: "max_body_bytes",
                reason: "must be at least 1024",
            });
        }
        if let Err(e) = self.rules.validate() {
            return Err(ConfigError::Rules(e.0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_fields_override_defaults_and_flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(&f, "bind = \"127.0.0.1:9000\"\ndata_dir = \"x\"\n").unwrap();
        let s = Settings::load(Some(&f), Overrides::default()).unwrap();
        assert_eq!(s.bind.port(), 9000);
        assert_eq!(s.data_dir, PathBuf::from("x"));
        assert_eq!(s.database_url, crate::db::DEFAULT_URL);
        let s = Settings::load(
            Some(&f),
            Overrides {
                bind: Some("127.0.0.1:9001".parse().unwrap()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(s.bind.port(), 9001);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(&f, "bnd = \"127.0.0.1:9000\"\n").unwrap();
        let e = Settings::load(Some(&f), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("bnd"), "{e}");
        let j = dir.path().join("s.json");
        std::fs::write(&j, r#"{"workers": 0}"#).unwrap();
        let e = Settings::load(Some(&j), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("workers"), "{e}");
    }

    #[test]
    fn a_rules_file_replaces_the_rules_and_a_bad_one_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.toml");
        std::fs::write(&f, "cents_per_point = 50\n").unwrap();
        let r = load_rules(&f).unwrap();
        assert_eq!(r.cents_per_point, 50);
        assert_eq!(r.conversion_points, Rules::default().conversion_points);
        let s = Settings::load(
            None,
            Overrides {
                rules: Some(r.clone()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(s.rules, r);
        std::fs::write(&f, "cents_per_point = 0\n").unwrap();
        let e = load_rules(&f).unwrap_err().to_string();
        assert!(e.contains("r.toml") && e.contains("cents_per_point"), "{e}");
        let j = dir.path().join("r.json");
        std::fs::write(&j, r#"{"cents_per_pont": 50}"#).unwrap();
        let e = load_rules(&j).unwrap_err().to_string();
        assert!(e.contains("cents_per_pont"), "{e}");
    }
}
