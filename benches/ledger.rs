//! Ledger benchmarks: batched ingest, single acknowledged purchases, and the bare-insert limit.
//!
//! `cargo bench --bench ledger` runs criterion groups; with `STORENET_BENCH_FIGURES=1` it instead
//! prints the figures the README quotes (purchases/s, p50/p99 latency) — see `benches/ledger.sh`.
//! SQLite runs in a temp dir (WAL, `synchronous=FULL`); PostgreSQL runs when
//! `STORENET_TEST_DATABASE_URL` is set, in a fresh schema.

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::postgres::PgPoolOptions;
use sqlx::Executor;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use storenet::db::Db;
use storenet::ledger::*;
use storenet::model::{ChainId, OutletId};
use uuid::Uuid;

/// Households enrolled (two cards each): `STORENET_BENCH_HOUSEHOLDS`, by default the network's
/// 2.2 million. Balances and cards are then as large as they are live: over 20,000 households,
/// every batch found them in a few cached pages, and batched ingest looked five times faster
/// than it was.
fn households() -> i64 {
    static N: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("STORENET_BENCH_HOUSEHOLDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2_200_000)
    })
}
const BATCH: usize = 10_000;
/// Runs of each insert limit; the best one counts.
const LIMIT_RUNS: usize = 3;

struct Setup {
    ledger: SqlLedger,
    db: Db,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server's URL and the bench's schema, dropped at the end (it holds the
    /// network's households, cards and over a million purchases).
    schema: Option<(String, String)>,
    name: &'static str,
}

async fn sqlite() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::open(&url).await.expect("open sqlite");
    let ledger = SqlLedger::new(db.clone(), Rules::default()).expect("rules");
    Setup {
        ledger,
        db,
        _dir: Some(dir),
        schema: None,
        name: "sqlite",
    }
}

async fn postgres() -> Option<Setup> {
    let url = std::env::var("STORENET_TEST_DATABASE_URL").ok()?;
    let schema = format!("bench_{}", Uuid::now_v7().simple());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .ok()?;
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .ok()?;
    let path = schema.clone();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .after_connect(move |c, _| {
            let sql = format!("SET search_path TO {path}");
            Box::pin(async move {
                c.execute(sql.as_str()).await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .ok()?;
    let db = Db::Postgres(pool);
    db.migrate().await.ok()?;
    let ledger = SqlLedger::new(db.clone(), Rules::default()).ok()?;
    Some(Setup {
        ledger,
        db,
        _dir: None,
        schema: Some((url, schema)),
        name: "postgres",
    })
}

async fn enrol(l: &SqlLedger) {
    let hs = (1..=households())
        .map(|h| NewHousehold {
            id: HouseholdId(h),
            segments: BTreeSet::new(),
            chosen_chains: BTreeSet::new(),
        })
        .collect();
    let cards = (1..=households())
        .flat_map(|h| {
            [
                NewCard {
                    id: CardId(h * 10 + 1),
                    household: HouseholdId(h),
                    holder: Holder::Primary,
                    kind: CardKind::Plastic,
                },
                NewCard {
                    id: CardId(h * 10 + 2),
                    household: HouseholdId(h),
                    holder: Holder::Secondary,
                    kind: CardKind::Mobile,
                },
            ]
        })
        .collect();
    l.enrol(hs, cards, None).await.expect("enrol");
}

/// In what order purchase times come.
#[derive(Clone, Copy)]
enum Order {
    /// As they happen: times rise through the stream over 25 days, each up to 15 minutes late (a
    /// till or a partner sending its purchases in batches). How a live day's million arrives.
    Arrival,
    /// Anywhere in 25 days: a month's backfill in no order, the worst case for the `at` index.
    Random,
}

fn purchases(rng: &mut ChaCha8Rng, n: usize) -> Vec<Purchase> {
    purchases_in(rng, n, Order::Arrival)
}

fn purchases_in(rng: &mut ChaCha8Rng, n: usize, order: Order) -> Vec<Purchase> {
    let chains = [
        "k-market",
        "k-supermarket",
        "k-citymarket",
        "k-rauta",
        "teboil",
    ];
    let start = Utc
        .with_ymd_and_hms(2026, 10, 1, 8, 0, 0)
        .single()
        .expect("valid date");
    let span = 25 * 86_400;
    (0..n)
        .map(|i| {
            let amount = rng.gen_range(100..20_000);
            let second = match order {
                Order::Arrival => (i as i64 * span / n as i64 - rng.gen_range(0..900)).max(0),
                Order::Random => rng.gen_range(0..span),
            };
            Purchase {
                key: Uuid::now_v7(),
                card: CardId(rng.gen_range(1..=households()) * 10 + rng.gen_range(1..=2)),
                outlet: OutletId(rng.gen_range(1..3_000)),
                chain: ChainId::new(chains[rng.gen_range(0..chains.len())]).expect("slug"),
                amount_cents: amount,
                ineligible_cents: if rng.gen_bool(0.2) { amount / 4 } else { 0 },
                at: start + chrono::Duration::seconds(second),
            }
        })
        .collect()
}

/// What the rows are inserted into.
#[derive(Clone, Copy, PartialEq)]
enum Table {
    /// No key, no index: the limit.
    Bare,
    /// The purchases table's unique key and time index, nothing else: what storing a purchase
    /// costs before any ledger logic.
    Keyed,
}

/// The limit: the same rows into a bare table (no key, no index) with the same settings, the
/// same multi-row statements, one transaction per batch. With [`Table::Keyed`], into a table
/// with `ledger_purchases`' key and time index.
async fn bare_insert(db: &Db, rows: &[Purchase], table: Table) -> Duration {
    const COLS: usize = 11;
    const ROWS: usize = 250; // as the ledger's `INSERT_ROWS`
    let sqlite = matches!(db, Db::Sqlite(_));
    let (name, key, tail) = match table {
        Table::Bare => ("bench_bare", "key BYTEA", ""),
        Table::Keyed => (
            "bench_keyed",
            "key BYTEA PRIMARY KEY",
            if sqlite { " WITHOUT ROWID" } else { "" },
        ),
    };
    // Each call starts from an empty table and drops it at the end: the runs are alike, and the
    // figures measured after them do not see their rows.
    let drop_table = format!("DROP TABLE IF EXISTS {name}");
    let create = format!(
        "CREATE TABLE {name} ({key}, hash BIGINT, household BIGINT, card BIGINT, \
         outlet BIGINT, chain TEXT, amount BIGINT, ineligible BIGINT, at BIGINT, points BIGINT, \
         campaign_points BIGINT){tail}"
    );
    let index = format!("CREATE INDEX {name}_at ON {name}(at)");
    let sql_for = |n: usize| {
        let mut s = format!("INSERT INTO {name} VALUES ");
        for r in 0..n {
            if r > 0 {
                s.push(',');
            }
            s.push('(');
            for c in 0..COLS {
                if c > 0 {
                    s.push(',');
                }
                // Anonymous `?` for SQLite: binding looks a named or numbered parameter up by
                // name, a linear search per parameter (see `ledger::sqlite::numbered`).
                if sqlite {
                    s.push('?');
                } else {
                    s.push_str(&format!("${}", r * COLS + c + 1));
                }
            }
            s.push(')');
        }
        s
    };
    macro_rules! run {
        ($pool:expr) => {{
            let pool = $pool;
            sqlx::query(&drop_table).execute(pool).await.expect("drop");
            sqlx::query(&create).execute(pool).await.expect("create");
            if table == Table::Keyed {
                sqlx::query(&index).execute(pool).await.expect("index");
            }
            let t = Instant::now();
            for batch in rows.chunks(BATCH) {
                let mut tx = pool.begin().await.expect("begin");
                for chunk in batch.chunks(ROWS) {
                    let sql = sql_for(chunk.len());
                    let mut q = sqlx::query(&sql);
                    for p in chunk {
                        q = q
                            .bind(p.key.as_bytes().to_vec())
                            .bind(1i64)
                            .bind(p.card.0 / 10)
                            .bind(p.card.0)
                            .bind(p.outlet.0 as i64)
                            .bind(p.chain.as_str().to_string())
                            .bind(p.amount_cents)
                            .bind(p.ineligible_cents)
                            .bind(p.at.timestamp_millis())
                            .bind(p.amount_cents / 100)
                            .bind(0i64);
                    }
                    q.execute(&mut *tx).await.expect("insert");
                }
                tx.commit().await.expect("commit");
            }
            let took = t.elapsed();
            sqlx::query(&drop_table).execute(pool).await.expect("drop");
            took
        }};
    }
    match db {
        Db::Sqlite(p) => run!(p),
        Db::Postgres(p) => run!(p),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn figures(s: Setup) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let t = Instant::now();
    enrol(&s.ledger).await;
    let enrolled = t.elapsed();
    let n = 200_000;
    let rows = purchases(&mut rng, n);
    let t = Instant::now();
    for b in rows.chunks(BATCH) {
        s.ledger.purchase_batch(b.to_vec()).await.expect("batch");
    }
    let batched = n as f64 / t.elapsed().as_secs_f64();

    // A whole day's million after a restart: a new writer on the same database knows no card
    // yet (the first learnt them at enrolment). It reads them all beside its first batches and
    // looks up each card it needs until then.
    let restarted = SqlLedger::new(s.db.clone(), Rules::default()).expect("rules");
    let day = 1_000_000;
    let rows = purchases(&mut rng, day);
    let t = Instant::now();
    for b in rows.chunks(BATCH) {
        restarted.purchase_batch(b.to_vec()).await.expect("batch");
    }
    let cold = day as f64 / t.elapsed().as_secs_f64();
    drop(restarted);

    let rows = purchases_in(&mut rng, n, Order::Random);
    let t = Instant::now();
    for b in rows.chunks(BATCH) {
        s.ledger.purchase_batch(b.to_vec()).await.expect("batch");
    }
    let backfill = n as f64 / t.elapsed().as_secs_f64();

    // The limits are the best of a few runs, each into a new table: a limit is what the
    // database can do, and single runs of it varied by a fifth (743k-930k rows/s on SQLite in
    // one session), which moved the ledger's share as much. The ledger's own figures are single
    // runs, so its share is if anything understated.
    let mut limit = |table: Table| {
        let runs: Vec<Vec<Purchase>> = (0..LIMIT_RUNS).map(|_| purchases(&mut rng, n)).collect();
        let db = s.db.clone();
        async move {
            let mut best = Duration::MAX;
            for rows in &runs {
                best = best.min(bare_insert(&db, rows, table).await);
            }
            n as f64 / best.as_secs_f64()
        }
    };
    let bare = limit(Table::Bare).await;
    let keyed = limit(Table::Keyed).await;

    // Single purchases, one at a time: each waits for its own commit.
    let singles = purchases(&mut rng, 2_000);
    let mut lat = Vec::with_capacity(singles.len());
    for p in singles {
        let t = Instant::now();
        s.ledger.purchase(p).await.expect("purchase");
        lat.push(t.elapsed());
    }
    lat.sort();

    // Many clients sending single purchases at once: the writer gathers them into batches.
    let clients = 256;
    let per_client = 200;
    let mut work: Vec<Vec<Purchase>> = (0..clients)
        .map(|_| purchases(&mut rng, per_client))
        .collect();
    let t = Instant::now();
    let mut handles = Vec::new();
    for batch in work.drain(..) {
        let l = s.ledger.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(batch.len());
            for p in batch {
                let t = Instant::now();
                l.purchase(p).await.expect("purchase");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut conc_lat = Vec::new();
    for h in handles {
        conc_lat.extend(h.await.expect("task"));
    }
    let concurrent = (clients * per_client) as f64 / t.elapsed().as_secs_f64();
    conc_lat.sort();
    let v = s.ledger.verify().await.expect("verify");
    assert!(v.ok(), "verify after the benchmark: {v:?}");

    println!(
        "{}: {} households, {} cards (enrolled in {:.1} s)",
        s.name,
        households(),
        2 * households(),
        enrolled.as_secs_f64()
    );
    println!("  batched ingest (10,000 per call): {batched:>10.0} purchases/s   (times in arrival order)");
    println!(
        "  a day's million after a restart:  {cold:>10.0} purchases/s   (cards read meanwhile)"
    );
    println!("  the same, times in random order:  {backfill:>10.0} purchases/s   (a backfill)");
    println!(
        "  bare insert, same rows (limit):   {bare:>10.0} rows/s   (ledger = {:.0} % of the limit)",
        100.0 * batched / bare
    );
    println!(
        "  keyed insert (key + time index):  {keyed:>10.0} rows/s   (ledger = {:.0} % of it)",
        100.0 * batched / keyed
    );
    println!(
        "  single purchase, one client:      p50 {:.2} ms, p99 {:.2} ms",
        pct(&lat, 0.5).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "  {clients} concurrent clients, single:  {concurrent:>10.0} purchases/s, p50 {:.2} ms, p99 {:.2} ms",
        pct(&conc_lat, 0.5).as_secs_f64() * 1e3,
        pct(&conc_lat, 0.99).as_secs_f64() * 1e3
    );
}

fn criterion_benches(c: &mut Criterion, rt: &tokio::runtime::Runtime, s: &Setup) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut g = c.benchmark_group(format!("ledger/{}", s.name));
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("purchase_batch_10000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let rows = purchases(&mut rng, BATCH);
                let t = Instant::now();
                rt.block_on(s.ledger.purchase_batch(rows)).expect("batch");
                total += t.elapsed();
            }
            total
        })
    });
    g.bench_function("bare_insert_10000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let rows = purchases(&mut rng, BATCH);
                total += rt.block_on(bare_insert(&s.db, &rows, Table::Bare));
            }
            total
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("single_purchase", |b| {
        b.iter_custom(|iters| {
            let rows = purchases(&mut rng, iters as usize);
            let t = Instant::now();
            for p in rows {
                rt.block_on(s.ledger.purchase(p)).expect("purchase");
            }
            t.elapsed()
        })
    });
    g.finish();
}

/// Drops the bench's PostgreSQL schema, if it made one.
async fn drop_schema(schema: Option<(String, String)>) {
    let Some((url, schema)) = schema else { return };
    let dropped = async {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await?;
        admin
            .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await?;
        admin.close().await;
        Ok::<_, sqlx::Error>(())
    };
    if let Err(e) = dropped.await {
        eprintln!("notice: could not drop the bench schema {schema}: {e}");
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut setups = vec![rt.block_on(sqlite())];
    match rt.block_on(postgres()) {
        Some(p) => setups.push(p),
        None => {
            eprintln!("notice: STORENET_TEST_DATABASE_URL unset or unreachable; PostgreSQL skipped")
        }
    }
    if std::env::var("STORENET_BENCH_FIGURES").as_deref() == Ok("1") {
        for s in setups {
            let schema = s.schema.clone();
            rt.block_on(figures(s));
            rt.block_on(drop_schema(schema));
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    for s in &setups {
        rt.block_on(enrol(&s.ledger));
        criterion_benches(&mut c, &rt, s);
    }
    c.final_summary();
    for s in setups {
        rt.block_on(drop_schema(s.schema));
    }
}
