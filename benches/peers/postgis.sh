#!/usr/bin/env bash
# k = 5 nearest outlets: PostGIS vs storenet in process vs storenet over HTTP.
#
# Loads the same outlets into a scratch PostGIS database, generates 10,000 seeded random points
# across Finland and runs the same k = 5 nearest query through
#   1. PostGIS (`ORDER BY geog <-> point LIMIT 5` on a GiST index, pgbench, prepared statements),
#   2. storenet's OutletIndex in process (the peer_nearest example),
#   3. `storenet serve` over HTTP on loopback (wrk with a Lua script cycling the points),
# and prints queries/s, the ratios, p99 latencies, the service start time and the core count.
#
# Env: PGURL (default postgres://postgres@127.0.0.1:5432), DURATION seconds per load run
# (default 15), CONNECTIONS for wrk (default 16), CLIENTS for pgbench (default nproc), SEED (42).
# Needs root for apt-get if postgresql-15-postgis-3 or wrk are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-16}
CORES=$(nproc)
CLIENTS=${CLIENTS:-$CORES}
SEED=${SEED:-42}
NPOINTS=10000
DB="storenet_bench_$$"
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    psql "$PGURL/postgres" -qAt -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '== %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------
need=()
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v pgbench >/dev/null 2>&1 || [[ -x /usr/lib/postgresql/15/bin/pgbench ]] || need+=(postgresql-15)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
    say "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)

# --- data ------------------------------------------------------------------------------------
DATA="$WORK/data"
mkdir -p "$DATA"
if [[ -f data/outlets.csv && -f data/chains.csv ]]; then
    cp data/outlets.csv data/chains.csv "$DATA/"
    SOURCE=data/outlets.csv
else
    cp tests/fixtures/chains.csv "$DATA/chains.csv"
    cp tests/fixtures/outlets_small.csv "$DATA/outlets.csv"
    SOURCE=tests/fixtures/outlets_small.csv
fi

say "building storenet (release)"
cargo build --release --quiet --bin storenet --example peer_nearest
BIN="$ROOT/target/release/storenet"
PEER="$ROOT/target/release/examples/peer_nearest"

say "generating $NPOINTS points across Finland (seed $SEED)"
"$PEER" points "$NPOINTS" "$SEED" >"$WORK/points.csv"

# --- PostGIS ---------------------------------------------------------------------------------
say "loading $SOURCE into PostGIS database $DB"
psql "$PGURL/postgres" -qAt -c "CREATE DATABASE $DB" >/dev/null
PSQL=(psql "$PGURL/$DB" -qAt -v ON_ERROR_STOP=1)
"${PSQL[@]}" >/dev/null <<SQL
CREATE EXTENSION postgis;
CREATE TABLE raw (id int, name text, chain text, kind text, street text, postal_code text,
                  city text, municipality text, lat float8, lon float8, phone text,
                  opening_hours text, services text);
\copy raw FROM '$DATA/outlets.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE outlets AS
    SELECT id, name, chain, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog FROM raw;
ALTER TABLE outlets ADD PRIMARY KEY (id);
CREATE INDEX outlets_geog ON outlets USING gist (geog);
CREATE TABLE points (pid int PRIMARY KEY, lat float8, lon float8, geog geography);
CREATE TEMP TABLE p_raw (lat float8, lon float8);
\copy p_raw FROM '$WORK/points.csv' WITH (FORMAT csv)
INSERT INTO points SELECT row_number() OVER (), lat, lon,
    ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography FROM p_raw;
ANALYZE;
SQL
OUTLETS=$("${PSQL[@]}" -c "SELECT count(*) FROM outlets")
PLAN=$("${PSQL[@]}" -c "EXPLAIN SELECT id FROM outlets ORDER BY geog <-> (SELECT geog FROM points WHERE pid = 1) LIMIT 5")
grep -q "Index Scan using outlets_geog" <<<"$PLAN" || { echo "PostGIS does not use the GiST index:"; echo "$PLAN"; exit 1; }

cat >"$WORK/knn.sql" <<'SQL'
\set i random(1, 10000)
SELECT id FROM outlets ORDER BY geog <-> (SELECT geog FROM points WHERE pid = :i) LIMIT 5;
SQL
say "PostGIS: pgbench, $CLIENTS clients, ${DURATION}s"
(cd "$WORK" && "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -l \
    --log-prefix=pgb -f knn.sql "$PGURL/$DB" >"$WORK/pgbench.out" 2>&1)
PG_QPS=$(sed -nE 's/^tps = ([0-9.]+) .*without initial connection time.*/\1/p' "$WORK/pgbench.out")
[[ -n "$PG_QPS" ]] || { cat "$WORK/pgbench.out"; exit 1; }
# Per-transaction log: column 3 is the latency in microseconds.
PG_P99_MS=$(cat "$WORK"/pgb* | awk '{print $3}' | sort -n |
    awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.3f", a[i]/1000}')

# --- in process ------------------------------------------------------------------------------
say "storenet in process"
"$PEER" bench "$DATA" "$WORK/points.csv" >"$WORK/peer.out"
kv() { sed -nE "s/^$1=(.*)/\1/p" "$WORK/peer.out"; }
IN_QPS=$(kv all_cores_qps)
IN_QPS_1=$(kv one_thread_qps)
IN_P99_US=$(kv p99_us)

# --- HTTP ------------------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
start_server() { # $1 = log file; sets STARTUP_MS, milliseconds from exec to a healthy answer
    local t0 t1
    # wrk is one client on loopback sending as fast as it can: the rate limits would answer 429.
    printf '[rate_limit]\nper_address_per_s = 0\nper_key_per_s = 0\n' >"$WORK/no-rate-limit.toml"
    t0=$(date +%s%N)
    STORENET_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" --database-url "sqlite://$WORK/bench.db" \
        --data-dir "$DATA" --config "$WORK/no-rate-limit.toml" >"$1" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 2000); do
        if curl -fs "$URL/healthz" >/dev/null 2>&1; then
            t1=$(date +%s%N)
            STARTUP_MS=$(((t1 - t0) / 1000000))
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$1" >&2; return 1; }
        sleep 0.005
    done
    echo "server did not become healthy" >&2
    return 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

say "storenet serve: first start (creates, migrates and imports the database)"
start_server "$WORK/serve1.log"
START_FIRST_MS=$STARTUP_MS
stop_server
say "storenet serve: restart on the existing database"
start_server "$WORK/serve2.log"
START_MS=$STARTUP_MS

cat >"$WORK/nearest.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/points.csv") do
    local lat, lon = line:match("([^,]+),([^,]+)")
    paths[#paths + 1] = "/v1/outlets/nearest?lat=" .. lat .. "&lon=" .. lon .. "&k=5"
end
local counter = 1
local threads = 0
function setup(thread)
    thread:set("offset", threads * 5003)
    threads = threads + 1
end
function init(args)
    counter = (offset or 0) % #paths + 1
end
function request()
    local p = paths[counter]
    counter = counter % #paths + 1
    return wrk.format("GET", p)
end
LUA
say "HTTP: wrk, $CONNECTIONS connections, ${DURATION}s (wrk and the server share the $CORES cores)"
curl -fs "$URL/v1/outlets/nearest?lat=60.17&lon=24.94&k=5" >/dev/null
wrk -t "$CORES" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$WORK/nearest.lua" "$URL" >"$WORK/wrk.out"
HTTP_QPS=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); printf "%.3f", v/1000 }
    else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.3f", v } else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.3f", v*1000 } }'; }
HTTP_P99_MS=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")")
HTTP_ERRORS=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.out" || true)
# The ceiling of this HTTP stack on this machine: the same connections on a path no route
# answers (actix, every middleware, a small JSON 404, no query work). Nearest cannot beat it.
say "HTTP ceiling: wrk on an unrouted path, same settings"
wrk -t "$CORES" -c "$CONNECTIONS" -d "${DURATION}s" "$URL/no-such-route" >"$WORK/wrk-ceiling.out"
CEILING_QPS=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-ceiling.out")
stop_server

# --- report ----------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo
echo "k = 5 nearest, $NPOINTS seeded points across Finland, $OUTLETS outlets from $SOURCE; nproc = $CORES"
printf '%-34s %12s %12s\n' "" "queries/s" "p99"
printf '%-34s %12.0f %10s ms\n' "PostGIS (pgbench, $CLIENTS clients)" "$PG_QPS" "$PG_P99_MS"
printf '%-34s %12.0f %10.3f ms\n' "storenet in process (1 thread)" "$IN_QPS_1" "$(awk -v u="$IN_P99_US" 'BEGIN{print u/1000}')"
printf '%-34s %12.0f %12s\n' "storenet in process ($(kv threads) threads)" "$IN_QPS" "-"
printf '%-34s %12.0f %10s ms\n' "storenet HTTP (wrk, $CONNECTIONS conns)" "$HTTP_QPS" "$HTTP_P99_MS"
printf '%-34s %12.0f %12s\n' "HTTP ceiling (unrouted 404)" "$CEILING_QPS" "-"
echo
echo "in process / PostGIS = $(ratio "$IN_QPS" "$PG_QPS")x   (goal >= 50x)"
echo "HTTP / PostGIS       = $(ratio "$HTTP_QPS" "$PG_QPS")x   (goal >= 3x; the stack's own ceiling here is $(ratio "$CEILING_QPS" "$PG_QPS")x, nearest reaches $(awk -v a="$HTTP_QPS" -v b="$CEILING_QPS" 'BEGIN { printf "%.0f", 100 * a / b }') % of it)"
echo "HTTP p99             = $HTTP_P99_MS ms   (goal < 5 ms)"
echo "service start        = $START_MS ms on an existing database, $START_FIRST_MS ms on first start with import (exec to healthy; goal < 1000 ms)"
[[ -z "$HTTP_ERRORS" ]] || echo "wrk reported: $HTTP_ERRORS"
