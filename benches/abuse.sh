#!/usr/bin/env bash
# Abuse test (issue 18, section 3): do the heavy routes starve the cheap ones?
#
# Starts `storenet serve` (release, SQLite, the bundled data, default capacity settings) on
# loopback and measures, in each phase, the latency of a steady probe load: nearest (GET, random
# points across Finland, 100 requests/s) and a whole-network GPX export (GET /v1/exports/gpx, 4
# requests/s). Phases, DURATION seconds each:
#   baseline  nothing else
#   planning  4 clients sending the most expensive planning request allowed, back to back
#             (Huff with lambda=2 and the largest cutoff_m, 50 km; the 500 km of the issue is
#             refused), with a planner key
#   routes    4 clients sending maximal route bodies back to back: a 99,999-point zig-zag GPX
#             (4.9 MB) through Helsinki at the default 2 km corridor, a 4,000-point zig-zag at
#             the widest 50 km corridor, and the issue's 99,999 points at 50 km (refused by its
#             work bound, but still read and parsed)
#   both      the two attacks at once
# Prints per phase the probes' p50, p99 and max latency and the count of non-2xx probe answers,
# and what the attackers got (status counts). Goal: nearest p99 <= 10 ms and export p99 <=
# 100 ms in every phase.
#
# Env: DURATION seconds per phase (default 20). Needs wrk, curl and python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-20}
WORK=$(mktemp -d)
SERVER_PID=""
ATTACK_PIDS=()
kill_attacks() {
    for p in "${ATTACK_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    ATTACK_PIDS=()
}
# The attackers run as long as the probe (and its 2 s head start); waiting lets wrk print.
stop_attacks() {
    for p in "${ATTACK_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    ATTACK_PIDS=()
}
cleanup() {
    kill_attacks
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '== %s\n' "$*" >&2; }
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "abuse.sh needs $tool" >&2; exit 2; }
done

say "building storenet (release)"
cargo build --release --quiet --bin storenet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/storenet"
DB="sqlite://$WORK/abuse.db"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
CONFIG="$WORK/abuse.toml"
# One address sends everything: the rate limits would answer most requests 429, which is what
# they are for (tests/it/http/hardening.rs), not what this measures. Capacity stays default.
cat >"$CONFIG" <<TOML
[rate_limit]
per_address_per_s = 0
per_key_per_s = 0
TOML
say "starting storenet serve on $URL"
STORENET_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" --database-url "$DB" --config "$CONFIG" \
    --data-dir "$ROOT/data" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 1200); do
    curl -fs "$URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.05
done
PLANNER=$("$BIN" keys create --database-url "$DB" --role planner | grep -Eo 'sn_[0-9a-f]+' | head -n1)
[[ -n "$PLANNER" ]] || { echo "could not create a planner key" >&2; exit 1; }
HUFF="/v1/planning/huff?lambda=2&cutoff_m=50000"
say "warming up: the planning grid, one export, one Huff report"
curl -fs -o /dev/null -H "Authorization: Bearer $PLANNER" "$URL/v1/planning/coverage"
curl -fs -o /dev/null "$URL/v1/exports/gpx"
/usr/bin/time -f '   one Huff report alone: %e s' curl -fs -o /dev/null \
    -H "Authorization: Bearer $PLANNER" "$URL$HUFF" || true

python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
def gpx(n, path):
    # Zig-zag through Helsinki: every leg crosses the densest part of the network.
    pts = "".join(
        f'<trkpt lat="{60.15 + (i % 2) * 0.05:.5f}" lon="{24.85 + (i % 500) * 0.0004:.5f}"/>'
        for i in range(n))
    with open(path, "w") as f:
        f.write('<?xml version="1.0"?><gpx version="1.1" creator="abuse" '
                'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>' + pts +
                '</trkseg></trk></gpx>')
gpx(99_999, f"{work}/route_99999.gpx")
gpx(4_000, f"{work}/route_4000.gpx")
PY
ls -la "$WORK"/*.gpx | awk '{print "   " $5 " bytes " $9}' >&2

post_lua() { # file, path
    cat <<LUA
local f = io.open("$1"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.path = "$2"
wrk.headers["Content-Type"] = "application/gpx+xml"
LUA
}
post_lua "$WORK/route_99999.gpx" "/v1/outlets/along-route" >"$WORK/r1.lua"
post_lua "$WORK/route_4000.gpx" "/v1/outlets/along-route?corridor_m=50000" >"$WORK/r2.lua"
post_lua "$WORK/route_99999.gpx" "/v1/outlets/along-route?corridor_m=50000" >"$WORK/r3.lua"
cat >"$WORK/status.lua" <<'LUA'
-- Status counts per wrk thread, summed in done() (each thread has its own Lua state).
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
init = function() counts = {} end
response = function(status) counts[status] = (counts[status] or 0) + 1 end
done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("counts")) do total[s] = (total[s] or 0) + n end
  end
  local parts = {}
  for s, n in pairs(total) do parts[#parts + 1] = s .. ":" .. n end
  table.sort(parts)
  io.stderr:write("   attacker " .. (os.getenv("ATTACK") or "") .. " statuses " ..
    table.concat(parts, " ") .. ", p99 " .. string.format("%.0f ms", latency:percentile(99) / 1000) .. "\n")
end
LUA
# wrk runs a lua script's `response` only per thread; one thread per attacker keeps counts whole.
attack_planning() {
    ATTACK=planning wrk -t1 -c4 -d"$((DURATION + 2))s" --timeout 120s \
        -H "Authorization: Bearer $PLANNER" -s "$WORK/status.lua" "$URL$HUFF" >/dev/null &
    ATTACK_PIDS+=($!)
}
attack_routes() {
    for s in r1 r1 r2 r3; do
        cat "$WORK/$s.lua" "$WORK/status.lua" >"$WORK/$s-run.lua"
        ATTACK="routes-$s" wrk -t1 -c1 -d"$((DURATION + 2))s" --timeout 120s \
            -s "$WORK/$s-run.lua" "$URL" >/dev/null &
        ATTACK_PIDS+=($!)
    done
}

probe() { # phase
    python3 - "$URL" "$DURATION" "$1" <<'PY'
import http.client, random, sys, threading, time
url, duration, phase = sys.argv[1], float(sys.argv[2]), sys.argv[3]
host, port = url.split("//")[1].split(":")
def run(name, rate, path_of, out):
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    t_end = time.monotonic() + duration
    nxt = time.monotonic()
    while True:
        nxt += 1.0 / rate
        now = time.monotonic()
        if now >= t_end:
            break
        if nxt > now:
            time.sleep(nxt - now)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path_of())
            r = conn.getresponse(); r.read()
            status = r.status
        except Exception:
            conn.close(); conn = http.client.HTTPConnection(host, int(port), timeout=120)
            status = 0
        out.append((time.perf_counter() - t0, status))
rnd = random.Random(18)
def nearest():
    return f"/v1/outlets/nearest?lat={rnd.uniform(59.8, 69.0):.5f}&lon={rnd.uniform(21.0, 31.0):.5f}&k=5"
results = {"nearest": [], "export": []}
threads = [threading.Thread(target=run, args=("nearest", 100, nearest, results["nearest"])),
           threading.Thread(target=run, args=("export", 4, lambda: "/v1/exports/gpx", results["export"]))]
for t in threads: t.start()
for t in threads: t.join()
for name, rs in results.items():
    lat = sorted(r[0] * 1000 for r in rs)
    bad = sum(1 for r in rs if not 200 <= r[1] < 300)
    pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")
    print(f"{phase:9s} {name:8s} n={len(lat):5d} p50={pct(50):7.1f} ms p99={pct(99):7.1f} ms "
          f"max={lat[-1] if lat else float('nan'):7.1f} ms non-2xx={bad}")
PY
}

printf '%s\n' "phase     route    results (goal: nearest p99 <= 10 ms, export p99 <= 100 ms)"
probe baseline
say "planning attack"
attack_planning; sleep 2; probe planning; stop_attacks
say "route-body attack"
attack_routes; sleep 2; probe routes; stop_attacks
say "both attacks"
attack_planning; attack_routes; sleep 2; probe both; stop_attacks
