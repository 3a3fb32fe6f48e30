#!/usr/bin/env bash
# The web map's first view on a throttled phone (issue 17): a release `storenet serve` on a
# temporary SQLite database (the bundled data, loopback), loaded in Debian's chromium at 390×844
# with the CPU slowed 4× and a 1.6 Mbit/s / 750 kbit/s / 150 ms network. Prints, per run and as
# medians: time to first markers (first marker or cluster icon in Leaflet's marker pane, ms from
# navigation start), bytes transferred to first markers and for the whole first view (CDP
# encodedDataLength: headers and bodies as sent), and a warm revisit. Goal: ≤ 2.5 s, ≤ 300 kB.
#
# Usage: benches/phone.sh [runs=3]
# Env: STORENET_BIN a storenet binary to measure instead of building this tree's release one
#      (e.g. an older build, for a before/after); CHROMIUM (default /usr/bin/chromium);
#      PHONE_VERBOSE=1 lists each request's bytes of the first run.
# Needs: cargo, node ≥ 18 with npm (installs playwright-core 1.49.1 into benches/phone/ once,
# without a browser download), chromium, curl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
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
for tool in node npm curl; do
    command -v "$tool" >/dev/null || { echo "phone.sh needs $tool" >&2; exit 2; }
done
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || { echo "phone.sh needs chromium (apt-get install chromium)" >&2; exit 2; }

if [[ -n "${STORENET_BIN:-}" ]]; then
    BIN=$STORENET_BIN
else
    say "building storenet (release)"
    (cd "$ROOT" && cargo build --release --quiet --bin storenet)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/storenet"
fi
if [[ ! -d "$ROOT/benches/phone/node_modules/playwright-core" ]]; then
    say "installing playwright-core (no browser download)"
    (cd "$ROOT/benches/phone" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
fi

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# One browser from one address: the per-address rate limit would count every asset.
printf '[rate_limit]\nper_address_per_s = 0\nper_key_per_s = 0\n' >"$WORK/phone.toml"
say "serving $BIN on 127.0.0.1:$PORT"
"$BIN" --data-dir "$ROOT/data" serve --bind "127.0.0.1:$PORT" --database-url "sqlite://$WORK/phone.db" \
    --config "$WORK/phone.toml" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
done
# Let the page's files finish their one-time compression before the first view.
sleep 2
node "$ROOT/benches/phone/phone.mjs" "http://127.0.0.1:$PORT" "$RUNS"
