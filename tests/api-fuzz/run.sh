#!/usr/bin/env bash
# Schemathesis against the live OpenAPI document of `storenet serve`: every route, with no key and
# with a key of each role. Fails on any 5xx, any status, content type, header or body the document
# does not describe.
#
# Builds storenet (debug), creates a venv with a pinned schemathesis (PyPI), serves the repository's
# data from a temporary SQLite database on a free loopback port with the rate limits off (the
# fuzzer is one client sending as fast as it can), creates the keys with `storenet keys create`.
#
#   MAX_EXAMPLES   cases per operation with no key and with the admin key (default 40)
#   ROLE_EXAMPLES  cases per operation with each other role's key (default 8)
#   SEED           schemathesis seed (default 1, so a CI failure reproduces)
# Reports (JUnit XML, and the failures' reproducing curl commands in the log) go to
# tests/api-fuzz/out/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
SCHEMATHESIS_VERSION="4.32.5"
MAX_EXAMPLES="${MAX_EXAMPLES:-40}"
ROLE_EXAMPLES="${ROLE_EXAMPLES:-8}"
SEED="${SEED:-1}"

cd "$repo"
cargo build --quiet
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/storenet"

venv="$here/.venv"
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

tmp="$(mktemp -d)"
out="$here/out"
mkdir -p "$out"
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
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
cat >"$tmp/storenet.toml" <<EOF
[rate_limit]
per_address_per_s = 0
per_key_per_s = 0
EOF

key() { "$bin" --data-dir "$repo/data" keys create --database-url "$db" "$@" 2>/dev/null; }
declare -A keys
keys[admin]="$(key --role admin)"
keys[planner]="$(key --role planner)"
keys[retailer]="$(key --role retailer --outlet 1)"
keys[chain]="$(key --role chain --chain k-market)"
# A household key must name an enrolled household: enrol the demo sample's cards first.
"$bin" --data-dir "$repo/data" ledger ingest --database-url "$db" "$repo/data/ledger/cards.csv" >/dev/null
keys[household]="$(key --role household --household 100001)"

# The bundled data, but the household grid cut to a 40 km × 30 km box around Helsinki (about
# 1,200 cells): the planning routes then answer in well under a second even in a debug build, so
# the fuzzer's cases test shapes and statuses rather than waiting on full-country reports.
mkdir -p "$tmp/data"
for f in "$repo"/data/*; do
  [ "$(basename "$f")" = households_1km.csv ] || ln -s "$f" "$tmp/data/"
done
awk -F, 'NR == 1 || ($1 >= 370000 && $1 < 410000 && $2 >= 6670000 && $2 < 6700000)' \
  "$repo/data/households_1km.csv" >"$tmp/data/households_1km.csv"
STORENET_LOG=warn "$bin" --data-dir "$tmp/data" serve --bind "127.0.0.1:$port" \
  --database-url "$db" --config "$tmp/storenet.toml" >"$out/serve.log" 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  if curl -sf "$url/healthz" >/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "api-fuzz: storenet serve exited; its log:" >&2
    cat "$out/serve.log" >&2
    exit 1
  fi
  sleep 0.2
done

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
status=0
# Schemathesis exits non-zero for a finding and also for an error of its own (a Hypothesis
# internal error was seen on some operations); only findings fail the run, read from the JUnit
# report. A server that died shows up as findings (connection refused) and in the final check.
run() { # $1 = label, $2 = examples, rest = extra schemathesis arguments
  local label="$1" n="$2"
  shift 2
  echo "== schemathesis: $label, $n examples per operation"
  # From the temp dir, so schemathesis's .schemathesis/ cache does not land in the repository.
  (cd "$tmp" && "$venv/bin/schemathesis" run "$url/openapi.json" \
      --checks "$checks" --max-examples "$n" --seed "$SEED" \
      --workers 2 --request-timeout 30 --no-color \
      --report junit --report-junit-path "$out/$label.xml" "$@") >"$out/$label.log" 2>&1 || true
  grep -E "passed|failed|error|generated" "$out/$label.log" | tail -n 6
  local found
  found="$(python3 - "$out/$label.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = list(root.iter("testcase"))
failed = [c.get("name") for c in cases if c.find("failure") is not None]
errored = [c.get("name") for c in cases if c.find("error") is not None]
for name in errored:
    print(f"  (schemathesis error, not a finding: {name})", file=sys.stderr)
print(len(failed))
for name in failed:
    print(f"  FINDING: {name}", file=sys.stderr)
PY
)"
  if [ "$found" != "0" ]; then
    echo "api-fuzz: $label: $found operations with findings; see $out/$label.log" >&2
    status=1
  fi
}
run no-key "$MAX_EXAMPLES"
run admin "$MAX_EXAMPLES" -H "Authorization: Bearer ${keys[admin]}"
for role in planner retailer chain household; do
  run "$role" "$ROLE_EXAMPLES" -H "Authorization: Bearer ${keys[$role]}"
done

if ! curl -sf "$url/healthz" >/dev/null; then
  echo "api-fuzz: the server is not healthy after the run" >&2
  status=1
fi
if grep -q "panicked" "$out/serve.log"; then
  echo "api-fuzz: the server panicked:" >&2
  grep -A3 "panicked" "$out/serve.log" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "api-fuzz: FAILED (see $out/*.log)" >&2
else
  echo "api-fuzz: passed"
fi
exit "$status"
