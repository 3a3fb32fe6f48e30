//! Persistence of the outlet registry and of API keys, on either database backend.
//!
//! The service's outlets live in the database: the bundled CSV files are imported on the first
//! start ([`Store::import_if_empty`]) and every later change (an outlet opened, moved or closed) is
//! written here first and then rebuilt into a fresh in-memory snapshot ([`Store::load_registry`]).
//!
//! API keys are long random strings shown once; the database keeps only their SHA-256 hash, so a
//! copy of the database does not give anyone a usable key. Each backend's SQL is in its own file
//! (`store/sqlite.rs`, `store/postgres.rs`); every value is a bound parameter.

mod postgres;
mod snapshot;
mod sql;
mod sqlite;

use crate::db::{Db, DbError};
use crate::model::{
    Address, ChainId, LonLat, MunicipalityCode, OpeningHours, Outlet, OutletId, OutletKind, Service,
};
use crate::registry::{LoadError, Registry};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use subtle::ConstantTimeEq;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A query failed.
    #[error("database query failed")]
    Sqlx(#[from] sqlx::Error),
    /// A row in the database does not hold a valid value (edited by hand, or a bug).
    #[error("outlet {id} in the database is invalid: field `{field}`: {reason}")]
    Corrupt {
        /// The row's id.
        id: i64,
        /// The column.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The rows loaded do not form a valid registry.
    #[error("the outlets in the database do not form a valid registry")]
    Registry(#[from] LoadError),
    /// An outlet with this id already exists (open or closed).
    #[error("outlet {0} already exists")]
    DuplicateOutlet(OutletId),
    /// An outlet id that does not fit the database's 32-bit signed column.
    #[error("outlet id {0} is too large (at most 2147483647)")]
    IdTooLarge(OutletId),
    /// A key's role and scope do not fit together.
    #[error("role `{role}` {reason}")]
    BadScope {
        /// The role.
        role: Role,
        /// What is wrong with the scope.
        reason: &'static str,
    },
    /// A key's scope names an outlet, chain or household that does not exist (or an outlet that
    /// is closed).
    #[error("no such {kind} `{id}`: {reason}")]
    UnknownScope {
        /// `outlet`, `chain` or `household`.
        kind: &'static str,
        /// The id given.
        id: String,
        /// What was found instead.
        reason: &'static str,
    },
    /// The operating system's random number generator failed.
    #[error("cannot read random bytes for a new key")]
    Random(#[source] rand::Error),
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including outlet writes and key management.
    Admin,
    /// A K-retailer: its own outlet (scope: outlet id).
    Retailer,
    /// A chain's head office: its chain (scope: chain id).
    Chain,
    /// Network planning: read-only access to the planning reports.
    Planner,
    /// A household's own view (scope: household id).
    Household,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Retailer,
        Role::Chain,
        Role::Planner,
        Role::Household,
    ];

    /// The lowercase name used in the database and on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Retailer => "retailer",
            Role::Chain => "chain",
            Role::Planner => "planner",
            Role::Household => "household",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}`: expected admin, retailer, chain, planner or household")
            })
    }
}

/// What a key's holder may act on, besides its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Scope {
    /// The whole network (admin, planner).
    Network,
    /// One outlet (retailer).
    Outlet(OutletId),
    /// One chain (chain).
    Chain(ChainId),
    /// One household (household), by its id in the ledger.
    Household(String),
}

impl Scope {
    fn kind_and_id(&self) -> (Option<&'static str>, Option<String>) {
        match self {
            Scope::Network => (None, None),
            Scope::Outlet(id) => (Some("outlet"), Some(id.to_string())),
            Scope::Chain(c) => (Some("chain"), Some(c.to_string())),
            Scope::Household(h) => (Some("household"), Some(h.clone())),
        }
    }

    fn from_columns(kind: Option<&str>, id: Option<&str>) -> Option<Scope> {
        match (kind, id) {
            (None, _) => Some(Scope::Network),
            (Some("outlet"), Some(i)) => i.parse().ok().map(Scope::Outlet),
            (Some("chain"), Some(i)) => ChainId::new(i).ok().map(Scope::Chain),
            (Some("household"), Some(i)) => Some(Scope::Household(i.to_string())),
            _ => None,
        }
    }

    /// Checks that a role comes with the scope it needs.
    fn check(&self, role: Role) -> Result<(), StoreError> {
        let reason = match (role, self) {
            (Role::Admin | Role::Planner, Scope::Network) => return Ok(()),
            (Role::Retailer, Scope::Outlet(_)) => return Ok(()),
            (Role::Chain, Scope::Chain(_)) => return Ok(()),
            (Role::Household, Scope::Household(h)) if !h.trim().is_empty() => return Ok(()),
            (Role::Admin | Role::Planner, _) => "takes no outlet, chain or household",
            (Role::Retailer, _) => "needs an outlet (--outlet ID)",
            (Role::Chain, _) => "needs a chain (--chain ID)",
            (Role::Household, _) => "needs a household (--household ID)",
        };
        Err(StoreError::BadScope { role, reason })
    }
}

/// The holder of a verified API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The key's row id.
    pub key_id: i64,
    /// Its role.
    pub role: Role,
    /// What it may act on.
    pub scope: Scope,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Row id, used to revoke it.
    pub id: i64,
    /// The key's first characters, enough to recognise it.
    pub prefix: String,
    /// Its role.
    pub role: Role,
    /// What it may act on.
    pub scope: Scope,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Prefix of every key, so a leaked key is recognisable (e.g. by secret scanners).
pub const KEY_PREFIX: &str = "sn_";
/// Random bytes in a key.
const KEY_BYTES: usize = 32;

/// A partial change to an outlet: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutletPatch {
    /// New name.
    pub name: Option<String>,
    /// New chain.
    pub chain: Option<ChainId>,
    /// New kind.
    pub kind: Option<OutletKind>,
    /// New street address.
    pub street: Option<String>,
    /// New postal code.
    pub postal_code: Option<String>,
    /// New city.
    pub city: Option<String>,
    /// New municipality.
    pub municipality: Option<MunicipalityCode>,
    /// New position.
    pub location: Option<LonLat>,
    /// New phone number.
    pub phone: Option<String>,
    /// New opening hours.
    pub hours: Option<OpeningHours>,
    /// New services (replacing the old list).
    pub services: Option<Vec<Service>>,
}

impl OutletPatch {
    /// Applies the patch to an outlet.
    pub fn apply(&self, o: &mut Outlet) {
        fn set<T: Clone>(dst: &mut T, src: &Option<T>) {
            if let Some(v) = src {
                *dst = v.clone();
            }
        }
        set(&mut o.name, &self.name);
        set(&mut o.chain, &self.chain);
        set(&mut o.kind, &self.kind);
        set(&mut o.address.street, &self.street);
        set(&mut o.address.postal_code, &self.postal_code);
        set(&mut o.address.city, &self.city);
        set(&mut o.municipality, &self.municipality);
        set(&mut o.location, &self.location);
        set(&mut o.phone, &self.phone);
        set(&mut o.hours, &self.hours);
        if let Some(s) = &self.services {
            o.services = normalise_services(s.clone());
        }
    }
}

fn normalise_services(mut s: Vec<Service>) -> Vec<Service> {
    s.sort();
    s.dedup();
    s
}

/// An outlet row as stored: plain columns, validated into an [`Outlet`] on the way out. SQLite
/// hands a whole registry over as JSON arrays of these columns, with the coordinates as text (see
/// `sqlite::load`).
#[derive(Debug, sqlx::FromRow, serde::Deserialize)]
struct OutletRow {
    id: i32,
    name: String,
    chain: String,
    kind: String,
    street: String,
    postal_code: String,
    city: String,
    municipality: String,
    #[serde(deserialize_with = "real_text")]
    lat: f64,
    #[serde(deserialize_with = "real_text")]
    lon: f64,
    phone: String,
    opening_hours: String,
    services: String,
}

/// A REAL as SQLite's `printf` writes it (`6.01997640000000018000e+01`), or a number.
fn real_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct Real;
    impl serde::de::Visitor<'_> for Real {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, or a number as text")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<f64, E> {
            v.parse().map_err(E::custom)
        }
        fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
    }
    d.deserialize_any(Real)
}

impl OutletRow {
    fn into_outlet(self) -> Result<Outlet, StoreError> {
        self.into_outlet_with(&mut HashMap::new())
    }

    /// As [`OutletRow::into_outlet`], parsing each distinct opening-hours text once: a network's
    /// outlets share a few dozen schedules, and parsing them was most of a registry load.
    fn into_outlet_with(
        mut self,
        hours_seen: &mut HashMap<String, OpeningHours>,
    ) -> Result<Outlet, StoreError> {
        let text = std::mem::take(&mut self.opening_hours);
        let hours = match hours_seen.get(&text) {
            Some(h) => h.clone(),
            None => {
                let h: OpeningHours = text.parse().map_err(|e| StoreError::Corrupt {
                    id: i64::from(self.id),
                    field: "opening_hours",
                    reason: format!("{e}"),
                })?;
                hours_seen.insert(text, h.clone());
                h
            }
        };
        self.into_outlet_hours(hours)
    }

    /// The outlet of this row with its opening hours already parsed (`opening_hours` unread).
    fn into_outlet_hours(self, hours: OpeningHours) -> Result<Outlet, StoreError> {
        let id = i64::from(self.id);
        let corrupt =
            |field: &'static str, reason: String| StoreError::Corrupt { id, field, reason };
        Ok(Outlet {
            id: u32::try_from(self.id)
                .ok()
                .filter(|&n| n > 0)
                .map(OutletId)
                .ok_or_else(|| corrupt("id", "not a positive integer".into()))?,
            name: self.name,
            chain: ChainId::new(&self.chain).map_err(|e| corrupt("chain", e.to_string()))?,
            kind: self
                .kind
                .parse()
                .map_err(|e| corrupt("kind", format!("{e}")))?,
            address: Address {
                street: self.street,
                postal_code: self.postal_code,
                city: self.city,
            },
            municipality: self
                .municipality
                .parse()
                .map_err(|e| corrupt("municipality", format!("{e}")))?,
            location: LonLat::new(self.lon, self.lat).map_err(|e| corrupt("lat", e.to_string()))?,
            phone: self.phone,
            hours,
            services: self
                .services
                .split(';')
                .filter(|s| !s.is_empty())
                .map(|s| Service::new(s).map_err(|e| corrupt("services", e.to_string())))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The column values of an outlet, as bound into INSERT and UPDATE statements.
struct OutletValues<'a> {
    id: i32,
    name: &'a str,
    chain: &'a str,
    kind: &'static str,
    street: &'a str,
    postal_code: &'a str,
    city: &'a str,
    municipality: String,
    lat: f64,
    lon: f64,
    phone: &'a str,
    opening_hours: String,
    services: String,
}

impl<'a> OutletValues<'a> {
    fn of(o: &'a Outlet) -> Result<Self, StoreError> {
        Ok(OutletValues {
            id: db_id(o.id)?,
            name: &o.name,
            chain: o.chain.as_str(),
            kind: o.kind.as_str(),
            street: &o.address.street,
            postal_code: &o.address.postal_code,
            city: &o.address.city,
            municipality: o.municipality.to_string(),
            lat: o.location.lat(),
            lon: o.location.lon(),
            phone: &o.phone,
            opening_hours: o.hours.to_string(),
            services: o
                .services
                .iter()
                .map(Service::as_str)
                .collect::<Vec<_>>()
                .join(";"),
        })
    }
}

fn db_id(id: OutletId) -> Result<i32, StoreError> {
    i32::try_from(id.0).map_err(|_| StoreError::IdTooLarge(id))
}

/// A chain row as stored.
#[derive(Debug, sqlx::FromRow)]
struct ChainRow {
    id: String,
    name: String,
    category: String,
    k_group: bool,
    colour: String,
    icon: String,
}

impl ChainRow {
    fn into_chain(self) -> Result<crate::model::Chain, StoreError> {
        let corrupt = |field: &'static str, reason: String| StoreError::Corrupt {
            id: 0,
            field,
            reason: format!("chain `{}`: {reason}", self.id),
        };
        Ok(crate::model::Chain {
            id: ChainId::new(&self.id).map_err(|e| corrupt("id", e.to_string()))?,
            name: self.name.clone(),
            category: self
                .category
                .parse()
                .map_err(|e| corrupt("category", format!("{e}")))?,
            k_group: self.k_group,
            colour: self
                .colour
                .parse()
                .map_err(|e| corrupt("colour", format!("{e}")))?,
            icon: self
                .icon
                .chars()
                .next()
                .ok_or_else(|| corrupt("icon", "empty".into()))?,
        })
    }
}

/// A key row as stored.
#[derive(Debug, sqlx::FromRow)]
struct KeyRow {
    id: i64,
    key_hash: String,
    prefix: String,
    role: String,
    scope_kind: Option<String>,
    scope_id: Option<String>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl KeyRow {
    fn role_and_scope(&self) -> Option<(Role, Scope)> {
        let role = self.role.parse().ok()?;
        let scope = Scope::from_columns(self.scope_kind.as_deref(), self.scope_id.as_deref())?;
        Some((role, scope))
    }

    fn info(self) -> Option<KeyInfo> {
        let (role, scope) = self.role_and_scope()?;
        Some(KeyInfo {
            id: self.id,
            prefix: self.prefix,
            role,
            scope,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A new key's columns.
struct NewKey {
    hash: String,
    prefix: String,
    role: &'static str,
    scope_kind: Option<&'static str>,
    scope_id: Option<String>,
    created_at: DateTime<Utc>,
}

fn hash_key(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// Outlets and API keys in the database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
}

impl Store {
    /// Wraps an open (and migrated) database.
    pub fn new(db: Db) -> Self {
        Store { db }
    }

    /// Opens and migrates the database at `url` (see [`Db::open`]).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Ok(Store::new(Db::open(url).await?))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
            Db::Postgres(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
        }
        Ok(())
    }

    /// The registry's change counter: every insert, update or delete of a chain or an outlet, by
    /// any process on this database, increases it (database triggers, migration 0004).
    pub async fn registry_version(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT version FROM registry_version WHERE id = 1";
        let (v,): (i64,) = match &self.db {
            Db::Sqlite(p) => sqlx::query_as(SQL).fetch_one(p).await?,
            Db::Postgres(p) => sqlx::query_as(SQL).fetch_one(p).await?,
        };
        Ok(v)
    }

    /// True if the database holds no chain and no outlet (a first start).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(!match &self.db {
            Db::Sqlite(p) => sqlite::has_registry(p).await?,
            Db::Postgres(p) => postgres::has_registry(p).await?,
        })
    }

    /// Imports the registry's chains and outlets if the database holds no outlet and no chain yet.
    /// Returns whether it imported. All or nothing: one transaction.
    pub async fn import_if_empty(&self, reg: &Registry) -> Result<bool, StoreError> {
        let chains: Vec<ChainValues> = reg.chains().map(ChainValues::of).collect();
        let outlets = reg
            .outlets()
            .iter()
            .map(OutletValues::of)
            .collect::<Result<Vec<_>, _>>()?;
        match &self.db {
            Db::Sqlite(p) => sqlite::import_if_empty(p, &chains, &outlets).await,
            Db::Postgres(p) => postgres::import_if_empty(p, &chains, &outlets).await,
        }
    }

    /// Loads every chain and the open outlets into a registry: from the snapshot when it is of the
    /// current registry version, else from the tables, storing a new snapshot (best effort: a
    /// database that refuses the write, e.g. read-only, still loads).
    pub async fn load_registry(&self) -> Result<Registry, StoreError> {
        let (version, stored) = match &self.db {
            Db::Sqlite(p) => sqlite::snapshot(p).await?,
            Db::Postgres(p) => postgres::snapshot(p).await?,
        };
        if let Some((at, body)) = stored.filter(|(at, _)| *at == version) {
            match snapshot::decode(&body) {
                Some(Ok(reg)) => return Ok(reg),
                Some(Err(e)) => {
                    tracing::warn!(
                        version = at,
                        "registry snapshot not valid, reading the tables: {e}"
                    )
                }
                None => tracing::info!(
                    version = at,
                    "registry snapshot of another format, reading the tables"
                ),
            }
        }
        let reg = self.load_registry_tables().await?;
        let stored = match snapshot::encode(&reg) {
            Ok(body) => match &self.db {
                Db::Sqlite(p) => sqlite::put_snapshot(p, version, &body).await,
                Db::Postgres(p) => postgres::put_snapshot(p, version, &body).await,
            },
            Err(e) => Err(e),
        };
        if let Err(e) = stored {
            tracing::warn!(version, "could not store the registry snapshot: {e}");
        }
        Ok(reg)
    }

    /// Loads every chain and the open outlets from the tables, ignoring the snapshot.
    pub async fn load_registry_tables(&self) -> Result<Registry, StoreError> {
        let (chains, outlets) = match &self.db {
            Db::Sqlite(p) => sqlite::load(p).await?,
            Db::Postgres(p) => postgres::load(p).await?,
        };
        let chains = chains
            .into_iter()
            .map(ChainRow::into_chain)
            .collect::<Result<Vec<_>, _>>()?;
        let mut hours_seen = HashMap::new();
        let outlets = outlets
            .into_iter()
            .map(|row| row.into_outlet_with(&mut hours_seen))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Registry::new(chains, outlets)?)
    }

    /// One outlet by id, open or closed, with whether it is closed.
    pub async fn outlet(&self, id: OutletId) -> Result<Option<(Outlet, bool)>, StoreError> {
        let row = match &self.db {
            Db::Sqlite(p) => sqlite::outlet(p, db_id(id)?).await?,
            Db::Postgres(p) => postgres::outlet(p, db_id(id)?).await?,
        };
        row.map(|(r, closed)| Ok((r.into_outlet()?, closed)))
            .transpose()
    }

    /// The smallest id above every outlet's (open or closed), for a new outlet.
    pub async fn next_outlet_id(&self) -> Result<OutletId, StoreError> {
        let max = match &self.db {
            Db::Sqlite(p) => sqlite::max_outlet_id(p).await?,
            Db::Postgres(p) => postgres::max_outlet_id(p).await?,
        };
        Ok(OutletId(u32::try_from(max.unwrap_or(0)).unwrap_or(0) + 1))
    }

    /// Inserts a new open outlet. Its chain must exist (foreign key); its id must be new.
    pub async fn insert_outlet(&self, o: &Outlet) -> Result<(), StoreError> {
        let v = OutletValues::of(o)?;
        let inserted = match &self.db {
            Db::Sqlite(p) => sqlite::insert_outlet(p, &v).await?,
            Db::Postgres(p) => postgres::insert_outlet(p, &v).await?,
        };
        if inserted {
            Ok(())
        } else {
            Err(StoreError::DuplicateOutlet(o.id))
        }
    }

    /// Applies a partial change to an open outlet and returns it as now stored; `None` if there is
    /// no open outlet with this id. The patch's values are validated types; a chain that does not
    /// exist is refused by the foreign key.
    pub async fn update_outlet(
        &self,
        id: OutletId,
        patch: &OutletPatch,
    ) -> Result<Option<Outlet>, StoreError> {
        // Read, change and write in one transaction so a concurrent patch of another field is
        // not lost.
        let apply = |row: OutletRow| -> Result<Outlet, StoreError> {
            let mut o = row.into_outlet()?;
            patch.apply(&mut o);
            Ok(o)
        };
        match &self.db {
            Db::Sqlite(p) => sqlite::update_outlet(p, db_id(id)?, apply).await,
            Db::Postgres(p) => postgres::update_outlet(p, db_id(id)?, apply).await,
        }
    }

    /// Marks an open outlet closed; returns false if there is no open outlet with this id.
    pub async fn close_outlet(&self, id: OutletId) -> Result<bool, StoreError> {
        let now = Utc::now();
        Ok(match &self.db {
            Db::Sqlite(p) => sqlite::close_outlet(p, db_id(id)?, now).await?,
            Db::Postgres(p) => postgres::close_outlet(p, db_id(id)?, now).await?,
        })
    }

    /// Refuses a scope naming what does not exist: an outlet that is not open, a chain not in the
    /// registry, a household the ledger has not enrolled (ids are positive integers).
    pub async fn check_scope_exists(&self, scope: &Scope) -> Result<(), StoreError> {
        let (kind, id, found, reason) = match scope {
            Scope::Network => return Ok(()),
            Scope::Outlet(o) => {
                let found = match self.outlet(*o).await {
                    Ok(found) => found,
                    Err(StoreError::IdTooLarge(_)) => None,
                    Err(e) => return Err(e),
                };
                match found {
                    Some((_, false)) => return Ok(()),
                    Some((_, true)) => ("outlet", o.to_string(), false, "the outlet is closed"),
                    None => ("outlet", o.to_string(), false, "no outlet has this id"),
                }
            }
            Scope::Chain(c) => {
                let found = self
                    .exists("SELECT 1 FROM chains WHERE id = $1", c.as_str())
                    .await?;
                ("chain", c.to_string(), found, "no chain has this id")
            }
            Scope::Household(h) => match h.trim().parse::<i64>() {
                Ok(n) if n > 0 => {
                    let found = self
                        .exists_id("SELECT 1 FROM ledger_households WHERE id = $1", n)
                        .await?;
                    (
                        "household",
                        h.clone(),
                        found,
                        "the ledger has no such household",
                    )
                }
                _ => (
                    "household",
                    h.clone(),
                    false,
                    "a household id is a positive integer",
                ),
            },
        };
        if found {
            Ok(())
        } else {
            Err(StoreError::UnknownScope { kind, id, reason })
        }
    }

    async fn exists(&self, sql: &str, id: &str) -> Result<bool, StoreError> {
        Ok(match &self.db {
            Db::Sqlite(p) => sqlx::query(sql).bind(id).fetch_optional(p).await?.is_some(),
            Db::Postgres(p) => sqlx::query(sql).bind(id).fetch_optional(p).await?.is_some(),
        })
    }

    async fn exists_id(&self, sql: &str, id: i64) -> Result<bool, StoreError> {
        Ok(match &self.db {
            Db::Sqlite(p) => sqlx::query(sql).bind(id).fetch_optional(p).await?.is_some(),
            Db::Postgres(p) => sqlx::query(sql).bind(id).fetch_optional(p).await?.is_some(),
        })
    }

    /// Creates an API key for a scope that exists ([`Store::check_scope_exists`]): an open
    /// outlet, a chain of the registry, an enrolled household; [`StoreError::UnknownScope`]
    /// otherwise, so that no key waits for an id created later. What `storenet keys create` uses.
    pub async fn create_key_checked(&self, role: Role, scope: Scope) -> Result<String, StoreError> {
        scope.check(role)?;
        self.check_scope_exists(&scope).await?;
        self.create_key(role, scope).await
    }

    /// Creates an API key and returns it. The key is not stored and cannot be shown again. Checks
    /// the role's kind of scope, not that its outlet, chain or household exists: see
    /// [`Store::create_key_checked`].
    pub async fn create_key(&self, role: Role, scope: Scope) -> Result<String, StoreError> {
        scope.check(role)?;
        let mut bytes = [0u8; KEY_BYTES];
        rand::RngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes)
            .map_err(StoreError::Random)?;
        let plaintext = format!("{KEY_PREFIX}{}", hex::encode(bytes));
        let (scope_kind, scope_id) = scope.kind_and_id();
        let key = NewKey {
            hash: hash_key(&plaintext),
            prefix: plaintext[..KEY_PREFIX.len() + 8].to_string(),
            role: role.as_str(),
            scope_kind,
            scope_id,
            created_at: Utc::now(),
        };
        match &self.db {
            Db::Sqlite(p) => sqlite::insert_key(p, &key).await?,
            Db::Postgres(p) => postgres::insert_key(p, &key).await?,
        }
        Ok(plaintext)
    }

    /// The holder of a valid, unrevoked key; `None` for anything else.
    pub async fn verify_key(&self, plaintext: &str) -> Result<Option<Principal>, StoreError> {
        let well_formed = plaintext
            .strip_prefix(KEY_PREFIX)
            .is_some_and(|h| h.len() == 2 * KEY_BYTES && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Ok(None);
        }
        let hash = hash_key(plaintext);
        let row = match &self.db {
            Db::Sqlite(p) => sqlite::key_by_hash(p, &hash).await?,
            Db::Postgres(p) => postgres::key_by_hash(p, &hash).await?,
        };
        Ok(row.and_then(|r| {
            // The lookup already matched the hash; compare again in constant time so that no
            // code path compares secrets byte by byte with an early exit.
            let same: bool = r.key_hash.as_bytes().ct_eq(hash.as_bytes()).into();
            if !same || r.revoked_at.is_some() {
                return None;
            }
            let (role, scope) = r.role_and_scope()?;
            Some(Principal {
                key_id: r.id,
                role,
                scope,
            })
        }))
    }

    /// Every key, newest last, without secrets.
    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        let rows = match &self.db {
            Db::Sqlite(p) => sqlite::keys(p).await?,
            Db::Postgres(p) => postgres::keys(p).await?,
        };
        Ok(rows.into_iter().filter_map(KeyRow::info).collect())
    }

    /// Revokes a key by id; false if there is no unrevoked key with this id.
    pub async fn revoke_key(&self, id: i64) -> Result<bool, StoreError> {
        let now = Utc::now();
        Ok(match &self.db {
            Db::Sqlite(p) => sqlite::revoke_key(p, id, now).await?,
            Db::Postgres(p) => postgres::revoke_key(p, id, now).await?,
        })
    }
}

/// The column values of a chain.
struct ChainValues<'a> {
    id: &'a str,
    name: &'a str,
    category: &'static str,
    k_group: bool,
    colour: String,
    icon: String,
}

impl<'a> ChainValues<'a> {
    fn of(c: &'a crate::model::Chain) -> Self {
        ChainValues {
            id: c.id.as_str(),
            name: &c.name,
            category: c.category.as_str(),
            k_group: c.k_group,
            colour: c.colour.to_string(),
            icon: c.icon.to_string(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
