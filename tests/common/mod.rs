//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A path inside the repository.
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A path inside tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    repo_path("tests/fixtures").join(rel)
}

/// The `storenet` binary built for these tests.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
}

/// Runs a `storenet` command to completion; its stdout, or a panic with its stderr.
pub fn run_ok(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "storenet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Set to `1` (as `.ci/run` does) to make a missing outside tool fail the tests that need it
/// instead of skipping them.
pub const REQUIRE_TOOLS: &str = "STORENET_REQUIRE_TOOLS";

/// Whether the program `tool` (Debian package `package`) runs here. When it does not, prints a
/// notice that `skipping` is skipped and returns false, so the test can return early, or fails
/// the test when `STORENET_REQUIRE_TOOLS=1`. The one check every test that runs an outside tool
/// (GPSBabel, xmllint, node, chromium, …) goes through.
pub fn have_tool(tool: &str, package: &str, skipping: &str) -> bool {
    let runs = std::process::Command::new(tool)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok();
    if !runs {
        assert!(
            std::env::var(REQUIRE_TOOLS).as_deref() != Ok("1"),
            "`{tool}` is not installed and {REQUIRE_TOOLS}=1: install it with \
             `apt-get install -y {package}`"
        );
        eprintln!(
            "notice: `{tool}` is not installed (Debian package {package}); skipping {skipping} \
             ({REQUIRE_TOOLS}=1 makes this a failure)"
        );
    }
    runs
}

/// A TCP port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh PostgreSQL schema for one test, dropped by [`PgSchema::drop_now`]; `None` (with a
/// printed notice) when `STORENET_TEST_DATABASE_URL` is unset, unless
/// `STORENET_REQUIRE_POSTGRES=1`, which makes a missing server a failure.
pub struct PgSchema {
    /// The server URL as configured.
    pub base: String,
    /// The schema's name.
    pub schema: String,
    /// A URL whose connections use the schema (`search_path`).
    pub url: String,
}

impl PgSchema {
    /// Creates the schema, or says why the PostgreSQL half is skipped.
    pub async fn create(what: &str) -> Option<PgSchema> {
        use sqlx::Executor;
        let Ok(base) = std::env::var("STORENET_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("STORENET_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "STORENET_REQUIRE_POSTGRES=1 but STORENET_TEST_DATABASE_URL is unset"
            );
            eprintln!(
                "notice: STORENET_TEST_DATABASE_URL unset; skipping the PostgreSQL half of {what}"
            );
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await
            .expect("connecting to STORENET_TEST_DATABASE_URL");
        pool.execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .expect("creating a test schema");
        pool.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(PgSchema { base, schema, url })
    }

    /// Drops the schema and everything in it.
    pub async fn drop_now(self) {
        use sqlx::Executor;
        if let Ok(pool) = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.base)
            .await
        {
            let _ = pool
                .execute(format!("DROP SCHEMA {} CASCADE", self.schema).as_str())
                .await;
            pool.close().await;
        }
    }
}
