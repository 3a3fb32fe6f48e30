#!/bin/sh
# Prints the ledger's figures: batched ingest (purchases/s), the bare-insert limit, single
# purchase p50/p99, and many concurrent single writers. SQLite always (temp dir, WAL,
# synchronous=FULL); PostgreSQL when STORENET_TEST_DATABASE_URL is set.
set -eu
cd "$(dirname "$0")/.."
STORENET_BENCH_FIGURES=1 cargo bench --bench ledger "$@"
