//! The store's tests, run against SQLite always and PostgreSQL when `STORENET_TEST_DATABASE_URL`
//! is set (each test in a fresh schema).

use super::*;
use crate::model::{Category, OutletKind};
use std::path::PathBuf;

fn fixtures() -> Registry {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let chains = crate::registry::csv::read_chains(&dir.join("chains.csv")).unwrap();
    let outlets = crate::registry::csv::read_outlets(&dir.join("outlets_small.csv")).unwrap();
    Registry::new(chains, outlets).unwrap()
}

/// A fresh SQLite store in a temp dir (the dir lives as long as the returned guard).
async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (Store::open(&url).await.unwrap(), dir)
}

/// A store on PostgreSQL in its own new schema, with the server URL and the schema name to drop
/// afterwards; `None` (with a notice) when no test database is configured. Fails when
/// `STORENET_REQUIRE_POSTGRES=1` and none is.
pub(crate) async fn postgres_store() -> Option<(Store, String, String)> {
    let Ok(url) = std::env::var("STORENET_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("STORENET_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "STORENET_REQUIRE_POSTGRES=1 but STORENET_TEST_DATABASE_URL is unset"
        );
        eprintln!("notice: STORENET_TEST_DATABASE_URL unset; skipping the PostgreSQL store test");
        return None;
    };
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    // The schema name is generated here from hex digits only, so it is safe to splice in.
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    Some((Store::open(&schema_url).await.unwrap(), url, schema))
}

/// Drops a test schema made by [`postgres_store`].
pub(crate) async fn drop_schema(url: &str, schema: &str) {
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (s, _dir) = sqlite_store().await;
    f(s).await;
    if let Some((s, url, schema)) = postgres_store().await {
        f(s.clone()).await;
        if let crate::db::Db::Postgres(p) = s.db() {
            p.close().await;
        }
        drop_schema(&url, &schema).await;
    }
}

#[tokio::test]
async fn import_happens_once_and_loads_back_the_same_registry() {
    each_backend(|s| async move {
        let reg = fixtures();
        assert!(s.import_if_empty(&reg).await.unwrap());
        assert!(!s.import_if_empty(&reg).await.unwrap());
        let back = s.load_registry().await.unwrap();
        assert_eq!(back.outlets(), reg.outlets());
        assert_eq!(
            back.chains().collect::<Vec<_>>(),
            reg.chains().collect::<Vec<_>>()
        );
    })
    .await;
}

#[tokio::test]
async fn a_loaded_registry_keeps_every_coordinate_bit_and_every_character() {
    // SQLite hands the registry over as JSON text: coordinates whose shortest decimal needs all
    // 17 digits, and names with quotes, backslashes, control-free Unicode, must come back exact.
    each_backend(|s| async move {
        let reg = fixtures();
        s.import_if_empty(&reg).await.unwrap();
        let mut o = reg.outlets()[0].clone();
        let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next_unit = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut expected = Vec::new();
        for i in 0..50u32 {
            o.id = OutletId(90_000 + i);
            o.name = format!("K-Market \"Ä\\ö\" Åland {i} ⛽ 𝄞");
            o.location = LonLat::new(
                24.0 + next_unit() * 0.987_654_321_012_345_6,
                60.2 + next_unit() * 0.123_456_789_012_345_67,
            )
            .unwrap();
            s.insert_outlet(&o).await.unwrap();
            expected.push(o.clone());
        }
        let back = s.load_registry().await.unwrap();
        for e in &expected {
            let got = back.outlet(e.id).unwrap();
            assert_eq!(got.name, e.name);
            assert_eq!(got.location.lon().to_bits(), e.location.lon().to_bits());
            assert_eq!(got.location.lat().to_bits(), e.location.lat().to_bits());
            assert_eq!(got, e);
        }
    })
    .await;
}

/// Runs a statement of our own (no values) on either backend.
async fn raw(s: &Store, sql: &str) {
    match s.db() {
        crate::db::Db::Sqlite(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
        crate::db::Db::Postgres(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

/// The stored snapshot's version and size, if there is one.
async fn stored_snapshot(s: &Store) -> Option<(i64, usize)> {
    let (version, snap) = match s.db() {
        crate::db::Db::Sqlite(p) => sqlite::snapshot(p).await.unwrap(),
        crate::db::Db::Postgres(p) => postgres::snapshot(p).await.unwrap(),
    };
    let _ = version;
    snap.map(|(v, body)| (v, body.len()))
}

#[tokio::test]
async fn the_snapshot_serves_only_its_own_version_and_a_bad_one_is_ignored() {
    each_backend(|s| async move {
        let reg = fixtures();
        s.import_if_empty(&reg).await.unwrap();
        assert_eq!(stored_snapshot(&s).await, None, "no snapshot before a load");
        let first = s.load_registry().await.unwrap();
        assert_eq!(first.outlets(), reg.outlets());
        let version = s.registry_version().await.unwrap();
        let (at, len) = stored_snapshot(&s)
            .await
            .expect("the load stored a snapshot");
        assert_eq!(at, version);
        assert!(len > 100);
        // From the snapshot: the same registry as the tables give.
        let again = s.load_registry().await.unwrap();
        let tables = s.load_registry_tables().await.unwrap();
        assert_eq!(again.outlets(), tables.outlets());
        assert_eq!(
            again.chains().collect::<Vec<_>>(),
            tables.chains().collect::<Vec<_>>()
        );

        // A change by hand in SQL bumps the version: the stale snapshot is not used.
        let id = reg.outlets()[0].id.0;
        raw(
            &s,
            &format!("UPDATE outlets SET name = 'K-Market Käsin' WHERE id = {id}"),
        )
        .await;
        let changed = s.load_registry().await.unwrap();
        assert_eq!(changed.outlet(OutletId(id)).unwrap().name, "K-Market Käsin");
        let (at, _) = stored_snapshot(&s).await.unwrap();
        assert_eq!(
            at,
            s.registry_version().await.unwrap(),
            "a new snapshot was stored"
        );

        // A body that does not decode, stamped with the current version, is ignored.
        raw(
            &s,
            "UPDATE registry_snapshot SET body = CAST('garbage' AS BLOB_TYPE)"
                .replace(
                    "BLOB_TYPE",
                    if matches!(s.db(), crate::db::Db::Postgres(_)) {
                        "BYTEA"
                    } else {
                        "BLOB"
                    },
                )
                .as_str(),
        )
        .await;
        let despite = s.load_registry().await.unwrap();
        assert_eq!(despite.outlets(), changed.outlets());
        let (_, len) = stored_snapshot(&s).await.unwrap();
        assert!(
            len > 100,
            "the bad body was replaced by a good one ({len} bytes)"
        );
        // A closed outlet leaves both the tables and the next snapshot.
        assert!(s.close_outlet(OutletId(id)).await.unwrap());
        assert!(s
            .load_registry()
            .await
            .unwrap()
            .outlet(OutletId(id))
            .is_none());
        assert!(s
            .load_registry()
            .await
            .unwrap()
            .outlet(OutletId(id))
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn outlet_writes_persist_and_closed_outlets_leave_the_registry() {
    each_backend(|s| async move {
        let reg = fixtures();
        s.import_if_empty(&reg).await.unwrap();
        let next = s.next_outlet_id().await.unwrap();
        assert_eq!(next.0, reg.outlets().last().unwrap().id.0 + 1);

        let mut o = reg.outlets()[0].clone();
        o.id = next;
        o.name = "K-Market Uusi".into();
        s.insert_outlet(&o).await.unwrap();
        assert!(matches!(
            s.insert_outlet(&o).await,
            Err(StoreError::DuplicateOutlet(id)) if id == next
        ));

        let patch = OutletPatch {
            name: Some("K-Market Uudempi".into()),
            location: Some(LonLat::new(25.0, 61.0).unwrap()),
            ..OutletPatch::default()
        };
        let changed = s.update_outlet(next, &patch).await.unwrap().unwrap();
        assert_eq!(changed.name, "K-Market Uudempi");
        assert_eq!(changed.address, o.address, "fields not in the patch stay");
        let loaded = s.load_registry().await.unwrap();
        assert_eq!(loaded.outlet(next).unwrap(), &changed);

        assert!(s.close_outlet(next).await.unwrap());
        assert!(!s.close_outlet(next).await.unwrap(), "already closed");
        assert!(s.update_outlet(next, &patch).await.unwrap().is_none());
        assert!(s.load_registry().await.unwrap().outlet(next).is_none());
        let (_, closed) = s.outlet(next).await.unwrap().unwrap();
        assert!(closed);
        assert_eq!(
            s.load_registry().await.unwrap().outlets().len(),
            reg.outlets().len()
        );
    })
    .await;
}

#[tokio::test]
async fn an_outlet_of_an_unknown_chain_is_refused_by_the_database() {
    each_backend(|s| async move {
        let reg = fixtures();
        s.import_if_empty(&reg).await.unwrap();
        let mut o = reg.outlets()[0].clone();
        o.id = OutletId(9999);
        o.chain = ChainId::new("no-such-chain").unwrap();
        assert!(s.insert_outlet(&o).await.is_err());
        assert!(s.outlet(OutletId(9999)).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn keys_verify_only_while_unrevoked_and_are_stored_hashed() {
    each_backend(|s| async move {
        let key = s.create_key(Role::Admin, Scope::Network).await.unwrap();
        assert!(key.starts_with(KEY_PREFIX));
        assert_eq!(key.len(), KEY_PREFIX.len() + 64);
        let p = s.verify_key(&key).await.unwrap().unwrap();
        assert_eq!((p.role, p.scope.clone()), (Role::Admin, Scope::Network));

        let chain = ChainId::new("k-market").unwrap();
        let k2 = s
            .create_key(Role::Chain, Scope::Chain(chain.clone()))
            .await
            .unwrap();
        assert_ne!(key, k2);
        assert_eq!(
            s.verify_key(&k2).await.unwrap().unwrap().scope,
            Scope::Chain(chain)
        );

        // A near miss, garbage and the empty string are not keys.
        let mut wrong = key.clone();
        wrong.replace_range(key.len() - 1.., if key.ends_with('0') { "1" } else { "0" });
        for bad in [wrong.as_str(), "sn_", "", "Bearer", &key[..key.len() - 1]] {
            assert!(s.verify_key(bad).await.unwrap().is_none(), "{bad}");
        }

        let listed = s.list_keys().await.unwrap();
        assert_eq!(listed.len(), 2);
        for k in &listed {
            assert!(!key.contains(&k.prefix[KEY_PREFIX.len() + 8..]) || k.prefix.len() < 20);
            assert!(k.prefix.len() == KEY_PREFIX.len() + 8);
        }
        let hashes: Vec<String> = match s.db() {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT key_hash FROM api_keys")
                .fetch_all(p)
                .await
                .unwrap(),
            Db::Postgres(p) => sqlx::query_scalar("SELECT key_hash FROM api_keys")
                .fetch_all(p)
                .await
                .unwrap(),
        };
        assert!(hashes
            .iter()
            .all(|h| h.len() == 64 && !key.contains(h.as_str())));
        assert!(hashes.contains(&hash_key(&key)));

        assert!(s.revoke_key(p.key_id).await.unwrap());
        assert!(!s.revoke_key(p.key_id).await.unwrap());
        assert!(s.verify_key(&key).await.unwrap().is_none());
        assert!(s.verify_key(&k2).await.unwrap().is_some());
        assert!(s.list_keys().await.unwrap()[0].revoked_at.is_some());
    })
    .await;
}

#[tokio::test]
async fn a_role_needs_its_scope() {
    let (s, _dir) = sqlite_store().await;
    for (role, scope) in [
        (Role::Retailer, Scope::Network),
        (Role::Chain, Scope::Outlet(OutletId(1))),
        (Role::Admin, Scope::Outlet(OutletId(1))),
        (Role::Household, Scope::Household(" ".into())),
    ] {
        assert!(
            matches!(
                s.create_key(role, scope).await,
                Err(StoreError::BadScope { .. })
            ),
            "{role}"
        );
    }
    assert!(s.list_keys().await.unwrap().is_empty());
    assert!(s
        .create_key(Role::Retailer, Scope::Outlet(OutletId(7)))
        .await
        .is_ok());
}

#[test]
fn roles_parse_their_names_only() {
    for r in Role::ALL {
        assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
    }
    assert!("root".parse::<Role>().is_err());
    let _ = (Category::Food, OutletKind::Store);
}
