#!/usr/bin/env bash
# Times GPSBabel converting our GPX to OV2 and GPI against our own export of the same outlets
# (release build, whole process including opening the database and loading the registry), in one run, and prints the
# ratios; then times the whole export: every format, split by chain, zipped.
#
# Usage: benches/peers/gpsbabel.sh [runs]     (default 5 runs each; the best run counts)
# Needs: gpsbabel (Debian 1.8), cargo. Uses data/ when present, else the test fixture repeated
# ten times with small offsets (3,000 outlets).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"

command -v gpsbabel >/dev/null || { echo "gpsbabel is not installed: apt-get install -y gpsbabel" >&2; exit 1; }
cargo build --release --quiet --bin storenet
bin="$PWD/target/release/storenet"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -f data/outlets.csv && -f data/chains.csv ]]; then
  data="$PWD/data"
else
  data="$work/data"
  mkdir -p "$data"
  cp tests/fixtures/chains.csv "$data/chains.csv"
  awk -F, -v OFS=, 'NR == 1 { print; next } { rows[NR] = $0 }
    END {
      for (k = 0; k < 10; k++) for (i = 2; i <= NR; i++) {
        n = split(rows[i], f, ",")
        f[1] = f[1] + k * 10000; f[9] = sprintf("%.6f", f[9] + k * 0.003); f[10] = sprintf("%.6f", f[10] + k * 0.003)
        line = f[1]; for (j = 2; j <= n; j++) line = line "," f[j]; print line
      }
    }' tests/fixtures/outlets_small.csv > "$data/outlets.csv"
fi
outlets=$(( $(wc -l < "$data/outlets.csv") - 1 ))
# `storenet export` reads outlets and offers from the database, as `serve` does; the first run
# below imports the data set into this one, the timed runs then only read it.
export STORENET_DATABASE_URL="sqlite://$work/bench.db"

# best_ms CMD...: the fastest of $runs runs, in milliseconds (to 0.1 ms). With hyperfine (Debian
# package), which starts the command itself without a shell and warms up twice; else timed from
# this shell, which adds its own fork to every run (a few ms: the faster side is penalised).
best_ms() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 2 -r "$runs" --export-json "$work/h.json" "$*" >/dev/null 2>&1
    python3 -c 'import json, sys; print("%.1f" % (1000 * min(json.load(open(sys.argv[1]))["results"][0]["times"])))' "$work/h.json"
    return
  fi
  local best=""
  for _ in $(seq "$runs"); do
    local t0 t1 ms
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [[ -z "$best" || "$ms" -lt "$best" ]]; then best=$ms; fi
  done
  echo "$best"
}

"$bin" --data-dir "$data" export --format gpx --out "$work/gpx" --date 2026-11-23 >/dev/null 2>&1
gpx="$work/gpx/storenet.gpx"

ours_gpx=$(best_ms "$bin" --data-dir "$data" export --format gpx --out "$work/o" --date 2026-11-23)
ours_ov2=$(best_ms "$bin" --data-dir "$data" export --format ov2 --out "$work/o" --date 2026-11-23)
ours_gpi=$(best_ms "$bin" --data-dir "$data" export --format gpi --out "$work/o" --date 2026-11-23)
babel_ov2=$(best_ms gpsbabel -i gpx -f "$gpx" -o tomtom -F "$work/babel.ov2")
babel_gpi=$(best_ms gpsbabel -i gpx -f "$gpx" -o garmin_gpi -F "$work/babel.gpi")
all=$(best_ms "$bin" --data-dir "$data" export --format gpx,ov2,gpi,csv,kml,kmz,geojson --split --zip --out "$work/all" --date 2026-11-23)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 1) b = 1; printf "%.1f", a / b }'; }
timer=$(command -v hyperfine >/dev/null && echo "hyperfine -N" || echo "date from bash")
echo "outlets: $outlets (best of $runs runs, timed by $timer; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "our GPX export (reference for GPSBabel's input): ${ours_gpx} ms"
printf '%-5s  ours %6s ms   gpsbabel %6s ms   gpsbabel/ours %sx\n' OV2 "$ours_ov2" "$babel_ov2" "$(ratio "$babel_ov2" "$ours_ov2")"
printf '%-5s  ours %6s ms   gpsbabel %6s ms   gpsbabel/ours %sx\n' GPI "$ours_gpi" "$babel_gpi" "$(ratio "$babel_gpi" "$ours_gpi")"
echo "every format, split by chain, zipped: ${all} ms"
