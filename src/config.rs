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
//! | `timeouts`       | [`Timeouts::default`]   | config file only (`[timeouts]` table)    |
//! | `rate_limit`     | [`RateLimit::default`]  | config file only (`[rate_limit]` table)  |
//! | `cors_origins`   | none (CORS closed)      | config file only                         |
//! | `capacity`       | [`Capacity::default`]   | config file only (`[capacity]` table)    |
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
    /// How long slow or idle clients may hold a connection.
    pub timeouts: Timeouts,
    /// Requests per client address and per API key.
    pub rate_limit: RateLimit,
    /// Origins (`https://maps.example.fi`) whose pages may call the API from a browser; empty
    /// (the default) sends no `Access-Control-Allow-Origin` at all, so only same-origin pages can.
    pub cors_origins: Vec<String>,
    /// Threads, queues and deadlines of the heavy routes (planning, exports, route bodies).
    pub capacity: Capacity,
}

/// One bounded pool of worker threads for one kind of heavy request (see `crate::capacity`).
/// At most `threads` requests run at once and `queue` more wait; a request beyond that is
/// answered 503 `busy` at once, and one not answered within `deadline_ms` (queued or running)
/// is answered 503 `deadline_exceeded`. Both carry `Retry-After`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolSettings {
    /// Worker threads; 0 (the default) means half the cores, at least one.
    pub threads: usize,
    /// Requests that may wait for a thread.
    pub queue: usize,
    /// Longest a request may wait and run before it is answered 503, ms.
    pub deadline_ms: u64,
    /// Niceness added to the pool's threads (0..=19; Linux only): a lowered pool yields the
    /// cores to the HTTP workers and the other pools when they are all busy.
    pub nice: i32,
}

/// The heavy routes' own capacity, so that none of them can take the cores from the others or
/// from the cheap routes (nearest, within, lists), which stay on the HTTP workers.
///
/// | pool       | routes                                       | queue | deadline | nice |
/// |------------|----------------------------------------------|-------|----------|------|
/// | `planning` | `/v1/planning/*`                             | 4     | 30 s     | 10   |
/// | `exports`  | `/v1/exports/{format}`                       | 16    | 10 s     | 0    |
/// | `routes`   | `POST /v1/outlets/along-route`, `in-polygon` | 8     | 10 s     | 10   |
///
/// Each has half the cores' threads by default (at least one). The planning and route pools'
/// threads run at a lower scheduling priority (`nice` 10; 0 keeps the service's own), so that
/// when every core is busy with them the HTTP workers and the exports still get a core at once;
/// the exports keep the service's priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Capacity {
    /// Planning reports.
    pub planning: PoolSettings,
    /// Navigator file downloads.
    pub exports: PoolSettings,
    /// Route and polygon bodies (parsing and the query).
    pub routes: PoolSettings,
}

impl Default for Capacity {
    fn default() -> Self {
        let pool = |queue, deadline_ms, nice| PoolSettings {
            threads: 0,
            queue,
            deadline_ms,
            nice,
        };
        Capacity {
            planning: pool(4, 30_000, 10),
            exports: pool(16, 10_000, 0),
            routes: pool(8, 10_000, 10),
        }
    }
}

impl Default for PoolSettings {
    /// What a `[capacity.*]` table's missing fields take: half the cores, a queue of 8, 10 s,
    /// nice 10.
    fn default() -> Self {
        PoolSettings {
            threads: 0,
            queue: 8,
            deadline_ms: 10_000,
            nice: 10,
        }
    }
}

impl PoolSettings {
    /// The threads to start: `threads`, or half the cores (at least one) when it is 0.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get() / 2)
                .unwrap_or(1)
                .max(1),
            n => n,
        }
    }
}

/// Connection timeouts. A client that opens a connection and sends nothing, or half a request,
/// is disconnected after `request_head_ms`; an idle keep-alive connection after `keep_alive_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// Time for a client to send the request line and headers, ms (default 5000).
    pub request_head_ms: u64,
    /// Time for a client to acknowledge the close of a connection, ms (default 1000).
    pub disconnect_ms: u64,
    /// How long an idle keep-alive connection stays open, seconds (default 5; 0 turns
    /// keep-alive off).
    pub keep_alive_s: u64,
    /// Time for a client to send a request body that a route reads whole (routes, polygons,
    /// outlet writes), ms (default 30000); a body trickled in slower is refused with 408.
    pub body_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            request_head_ms: 5_000,
            disconnect_ms: 1_000,
            keep_alive_s: 5,
            body_ms: 30_000,
        }
    }
}

/// Request rate limits, as token buckets: each client address, and each API key, may send
/// `burst` requests at once and then `per_second` requests a second; beyond that the answer is
/// 429 with `Retry-After`. A limit of 0 per second turns that limit off.
///
/// The defaults (100/s with bursts of 200 per address and per key) are far above what a person
/// using the map or a navigator sync sends, and low enough that one client cannot take the
/// service's capacity from the others. Load tests (`wrk`) from one address must raise or turn
/// them off in their config file. Behind a reverse proxy or load balancer every request comes
/// from the proxy's address: list it in `trusted_proxies` so the client address is read from
/// `X-Forwarded-For` instead (only from those peers, since anyone can send that header).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimit {
    /// Sustained requests a second per client address; 0 = no per-address limit.
    pub per_address_per_s: u32,
    /// Requests a client address may send at once.
    pub per_address_burst: u32,
    /// Sustained requests a second per API key (by `Authorization` header); 0 = no limit.
    pub per_key_per_s: u32,
    /// Requests one key may send at once.
    pub per_key_burst: u32,
    /// Peers whose `X-Forwarded-For` names the real client (a reverse proxy, a load balancer).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_address_per_s: 100,
            per_address_burst: 200,
            per_key_per_s: 100,
            per_key_burst: 200,
            trusted_proxies: Vec::new(),
        }
    }
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
            timeouts: Timeouts::default(),
            rate_limit: RateLimit::default(),
            cors_origins: Vec::new(),
            capacity: Capacity::default(),
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
        let rl = &self.rate_limit;
        if (rl.per_address_per_s > 0 && rl.per_address_burst == 0)
            || (rl.per_key_per_s > 0 && rl.per_key_burst == 0)
        {
            return Err(ConfigError::Invalid {
                field: "rate_limit",
                reason: "a burst must be at least 1 where its limit is on",
            });
        }
        if self.timeouts.request_head_ms == 0 || self.timeouts.body_ms == 0 {
            return Err(ConfigError::Invalid {
                field: "timeouts",
                reason: "request_head_ms and body_ms must be at least 1",
            });
        }
        if self.cors_origins.iter().any(|o| !valid_origin(o)) {
            return Err(ConfigError::Invalid {
                field: "cors_origins",
                reason: "each origin must be scheme://host[:port] with no path, e.g. https://maps.example.fi",
            });
        }
        let c = &self.capacity;
        for (pool, name) in [
            (&c.planning, "capacity.planning"),
            (&c.exports, "capacity.exports"),
            (&c.routes, "capacity.routes"),
        ] {
            if pool.threads > 256 || pool.queue > 10_000 {
                return Err(ConfigError::Invalid {
                    field: name,
                    reason: "threads must be at most 256 and queue at most 10000",
                });
            }
            if !(1..=600_000).contains(&pool.deadline_ms) || !(0..=19).contains(&pool.nice) {
                return Err(ConfigError::Invalid {
                    field: name,
                    reason: "deadline_ms must be 1..=600000 and nice 0..=19",
                });
            }
        }
        if let Err(e) = self.rules.validate() {
            return Err(ConfigError::Rules(e.0));
        }
        Ok(())
    }
}

/// `scheme://host[:port]`, exactly as a browser sends it in `Origin`.
fn valid_origin(o: &str) -> bool {
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '*', ' '])
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
        std::fs::write(&f, "cors_origins = [\"https://a.example/path\"]\n").unwrap();
        let e = Settings::load(Some(&f), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("cors_origins"), "{e}");
        std::fs::write(&f, "[rate_limit]\nper_key_burst = 0\n").unwrap();
        let e = Settings::load(Some(&f), Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("rate_limit"), "{e}");
    }

    #[test]
    fn limit_tables_read_from_toml() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(
            &f,
            "cors_origins = [\"https://maps.example.fi\"]\n[rate_limit]\nper_address_per_s = 0\ntrusted_proxies = [\"10.0.0.1\"]\n[timeouts]\nrequest_head_ms = 250\n",
        )
        .unwrap();
        let s = Settings::load(Some(&f), Overrides::default()).unwrap();
        assert_eq!(s.cors_origins, ["https://maps.example.fi"]);
        assert_eq!(s.rate_limit.per_address_per_s, 0);
        assert_eq!(
            s.rate_limit.per_key_per_s,
            RateLimit::default().per_key_per_s
        );
        assert_eq!(s.rate_limit.trusted_proxies.len(), 1);
        assert_eq!(s.timeouts.request_head_ms, 250);
        assert_eq!(s.timeouts.keep_alive_s, Timeouts::default().keep_alive_s);
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
