#!/usr/bin/env bash
# Load test: `storenet serve` (release, SQLite, the bundled data) under wrk on loopback, one route
# mix at a time, for a bounded time each. Prints per mix: requests/s, p50/p99 latency, the error
# count (non-2xx answers and socket errors; must be 0), and the server's resident memory before
# the first mix and after the last (must stay flat).
#
# Mixes: nearest (GET, random points across Finland), along-route (POST a 180 km GeoJSON route,
# 2 km corridor), detail (GET /v1/outlets/{id} with its current offers, random ids),
# purchases (POST /v1/purchases, one purchase each, unique idempotency keys, on the demo
# households' cards), mixed (all four at once, 70/5/20/5).
#
# Env: DURATION seconds per mix (default 10), CONNECTIONS (default 16), THREADS (default nproc).
# Needs wrk and curl (apt-get install wrk curl).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
CORES=$(nproc)
THREADS=${THREADS:-$CORES}
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '== %s\n' "$*" >&2; }
for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "load.sh needs $tool (apt-get install $tool)" >&2; exit 2; }
done

say "building storenet (release)"
cargo build --release --quiet --bin storenet
BIN="$ROOT/target/release/storenet"
DB="sqlite://$WORK/load.db"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
CONFIG="$WORK/load.toml"
# A load test from one address: the per-client rate limit would turn most answers into 429s,
# which is what it is for, but not what this measures. Limits are tested in tests/it/http.
cat >"$CONFIG" <<TOML
registry_poll_ms = 2000
[rate_limit]
per_address_per_s = 0
per_key_per_s = 0
TOML

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
say "starting storenet serve on $URL (first start imports data/ into $WORK/load.db)"
STORENET_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" --database-url "$DB" --config "$CONFIG" \
    --data-dir "$ROOT/data" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
    curl -fs "$URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.05
done
say "enrolling the demo households and cards (data/ledger/cards.csv)"
"$BIN" ledger ingest --database-url "$DB" "$ROOT/data/ledger/cards.csv" >/dev/null
KEY=$("$BIN" keys create --database-url "$DB" --role admin | grep -Eo 'sn_[0-9a-f]+' | head -n1)
[[ -n "$KEY" ]] || { echo "could not create an admin key" >&2; exit 1; }

# Inputs for the Lua scripts: outlet ids, card numbers.
curl -fs "$URL/v1/outlets" | python3 -c 'import json,sys; [print(o["id"]) for o in json.load(sys.stdin)["outlets"]]' >"$WORK/ids.txt"
cut -d, -f1 "$ROOT/data/ledger/cards.csv" | tail -n +2 >"$WORK/cards.txt"
cat >"$WORK/route.json" <<'JSON'
{"type":"LineString","coordinates":[[24.9384,60.1699],[24.9,60.3],[24.8,60.45],[24.55,60.6],[24.45,60.8],[24.3,60.95],[24.1,61.1],[23.95,61.3],[23.76,61.4981]]}
JSON

common_lua() { cat <<LUA
math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
local function lines(path) local t = {} for l in io.lines(path) do t[#t + 1] = l end return t end
ids = lines("$WORK/ids.txt")
cards = lines("$WORK/cards.txt")
local f = io.open("$WORK/route.json"); route = f:read("*a"); f:close()
function nearest()
    local lat = 60.0 + math.random() * 7.5
    local lon = 21.5 + math.random() * 8.0
    return wrk.format("GET", string.format("/v1/outlets/nearest?lat=%.5f&lon=%.5f&k=5", lat, lon))
end
function along()
    return wrk.format("POST", "/v1/outlets/along-route?corridor_m=2000",
        {["Content-Type"] = "application/geo+json"}, route)
end
function detail()
    return wrk.format("GET", "/v1/outlets/" .. ids[math.random(#ids)])
end
local hex = "0123456789abcdef"
local function uuid4()
    local s = string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
        local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
        return hex:sub(v + 1, v + 1)
    end)
    return s
end
function purchase()
    local amount = math.random(100, 25000)
    local body = string.format(
        '{"key":"%s","card":%s,"outlet":%s,"amount_cents":%d,"ineligible_cents":%d,"at":"2026-11-14T12:00:00Z"}',
        uuid4(), cards[math.random(#cards)], ids[math.random(#ids)], amount, math.random(0, math.floor(amount / 4)))
    return wrk.format("POST", "/v1/purchases",
        {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $KEY"}, body)
end
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d socket=%d requests=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout,
        summary.requests))
end
LUA
}

mix_lua() { # $1 = mix name
    common_lua
    case "$1" in
        nearest) echo 'request = nearest' ;;
        along-route) echo 'request = along' ;;
        detail) echo 'request = detail' ;;
        purchases) echo 'request = purchase' ;;
        mixed) cat <<'LUA'
request = function()
    local r = math.random(100)
    if r <= 70 then return nearest() elseif r <= 75 then return along()
    elseif r <= 95 then return detail() else return purchase() end
end
LUA
        ;;
    esac
}

# Warm up every route once (and check each answers 2xx before loading it).
curl -fs "$URL/v1/outlets/nearest?lat=60.17&lon=24.94&k=5" >/dev/null
curl -fs -X POST -H 'Content-Type: application/geo+json' --data-binary @"$WORK/route.json" \
    "$URL/v1/outlets/along-route?corridor_m=2000" >/dev/null
curl -fs "$URL/v1/outlets/$(head -n1 "$WORK/ids.txt")" >/dev/null
RSS_START=$(rss_kib)

printf '\n%-12s %10s %9s %9s %8s %9s\n' "mix" "req/s" "p50 ms" "p99 ms" "errors" "requests"
FAILED=0
for mix in nearest along-route detail purchases mixed; do
    mix_lua "$mix" >"$WORK/$mix.lua"
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" -s "$WORK/$mix.lua" "$URL" >"$WORK/$mix.out" 2>&1 || true
    line=$(grep '^RESULT' "$WORK/$mix.out" || true)
    if [[ -z "$line" ]]; then cat "$WORK/$mix.out" >&2; FAILED=1; continue; fi
    kv() { sed -nE "s/.* $1=([^ ]+).*/\1/p" <<<"$line"; }
    errors=$(($(kv non2xx) + $(kv socket)))
    ((errors == 0)) || FAILED=1
    printf '%-12s %10s %9s %9s %8s %9s\n' "$mix" "$(kv rps)" "$(kv p50_ms)" "$(kv p99_ms)" "$errors" "$(kv requests)"
done
RSS_END=$(rss_kib)
echo
echo "server memory (RSS): $((RSS_START / 1024)) MiB after warm-up, $((RSS_END / 1024)) MiB at the end"
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per mix; wrk and the server share $CORES cores"
say "verifying the ledger after the load"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
"$BIN" ledger verify --database-url "$DB" | tail -n 3
if ((FAILED)); then echo "load.sh: errors above (must be 0)" >&2; exit 1; fi
