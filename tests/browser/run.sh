#!/usr/bin/env bash
# Browser tests of the web map: builds storenet, serves the repository's data from a temporary
# SQLite database on a free loopback port, runs the tests in Debian's chromium, stops the server.
# Needs: cargo, node (>= 18) with npm, and /usr/bin/chromium (apt-get install -y chromium).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

cd "$repo"
cargo build --quiet
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/storenet"

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "run.sh: no chromium at ${CHROMIUM:-/usr/bin/chromium}; apt-get install -y chromium" >&2
  exit 1
fi

cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

db="sqlite://$tmp/storenet.db"
# A free loopback port: ask the kernel for one (a tiny race with other processes is acceptable
# for a test run; serve fails loudly if it was taken meanwhile).
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

# A planner key for the planner-view test (used once the planning routes exist).
STORENET_PLANNER_KEY="$("$bin" keys create --role planner --database-url "$db" 2>/dev/null)"
export STORENET_PLANNER_KEY
# Keys of other roles, which the planner view must refuse.
# Keys name things that exist: enrol the demo sample's households, and let the retailer key's
# outlet come from the bundled registry (keys create imports it into the empty database).
"$bin" --data-dir "$repo/data" ledger ingest --database-url "$db" "$repo/data/ledger/cards.csv" >/dev/null
STORENET_HOUSEHOLD_KEY="$("$bin" --data-dir "$repo/data" keys create --role household --household 100001 --database-url "$db" 2>/dev/null)"
STORENET_RETAILER_KEY="$("$bin" --data-dir "$repo/data" keys create --role retailer --outlet 1 --database-url "$db" 2>/dev/null)"
export STORENET_HOUSEHOLD_KEY STORENET_RETAILER_KEY
# An admin key for the hostile-text test, which creates (and deletes) outlets and offers.
STORENET_ADMIN_KEY="$("$bin" keys create --role admin --database-url "$db" 2>/dev/null)"
export STORENET_ADMIN_KEY

# Every test talks from 127.0.0.1, several pages at a time: the per-address rate limit (tested in
# tests/it/http/hardening.rs) is off here so that a burst of tile-free marker loads is not a 429.
printf '[rate_limit]\nper_address_per_s = 0\nper_key_per_s = 0\n' >"$tmp/browser.toml"
"$bin" --data-dir "$repo/data" serve --bind "127.0.0.1:$port" --database-url "$db" \
  --config "$tmp/browser.toml" >"$tmp/serve.log" 2>&1 &
server_pid=$!

export STORENET_URL="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  if curl -sf "$STORENET_URL/healthz" >/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: storenet serve exited; its log:" >&2
    cat "$tmp/serve.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -sf "$STORENET_URL/healthz" >/dev/null || { echo "run.sh: server not healthy" >&2; cat "$tmp/serve.log" >&2; exit 1; }

status=0
# Arguments, if any, name the test files to run (e.g. `run.sh route.test.mjs`).
if [ "$#" -gt 0 ]; then files=("$@"); else files=(./*.test.mjs); fi
node --test --test-concurrency=1 "${files[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: tests failed; server log tail:" >&2
  tail -n 30 "$tmp/serve.log" >&2
fi
echo "screenshots in $here/screenshots/"
exit "$status"
