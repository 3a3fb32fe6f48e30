#!/usr/bin/env bash
# Times `storenet crs` (rayon batch transform) against PROJ's `cs2cs` on the same 1 M points over
# Finland, checks the two agree within 1 mm and prints the time ratio. Both read and write text, so
# the figures are end to end (parse + transform + print). Needs `cs2cs` (Debian: proj-bin).
# Usage: benches/crs_peer.sh            (N=1000000 points; FEATURES=proj to run PROJ inside storenet)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-1000000}
command -v cs2cs >/dev/null || { echo "cs2cs not found: apt-get install -y proj-bin" >&2; exit 1; }
cargo build --quiet --release --bin storenet ${FEATURES:+--features "$FEATURES"}
bin=target/release/storenet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Seeded random points over Finland's bounding box; cs2cs wants EPSG:4326 as lat lon.
awk -v n="$n" 'BEGIN { srand(42); for (i = 0; i < n; i++) printf "%.7f %.7f\n", 19.1 + rand() * 12.5, 59.7 + rand() * 10.4 }' >"$tmp/lonlat"
awk '{ print $2, $1 }' "$tmp/lonlat" >"$tmp/latlon"

now() { date +%s.%N; }
echo "points: $n, cores: $(nproc), storenet features: ${FEATURES:-default (proj4rs)}, $(cs2cs 2>&1 | head -1)"
for to in 3067 2393; do
    t0=$(now)
    cs2cs -f %.6f EPSG:4326 "EPSG:$to" <"$tmp/latlon" >"$tmp/cs2cs"
    t1=$(now)
    "$bin" crs --from 4326 --to "$to" "$tmp/lonlat" >"$tmp/ours"
    t2=$(now)
    # cs2cs prints EPSG:2393 northing first (its EPSG axis order); storenet prints easting first.
    worst=$(paste -d ' ' "$tmp/ours" "$tmp/cs2cs" | awk -v swap=$([ "$to" = 2393 ] && echo 1 || echo 0) '
        { e = swap ? $4 : $3; n = swap ? $3 : $4; dx = $1 - e; dy = $2 - n; d = sqrt(dx*dx + dy*dy); if (d > w) w = d }
        END { printf "%.6f", w }')
    awk -v to="$to" -v a="$t0" -v b="$t1" -v c="$t2" -v w="$worst" 'BEGIN {
        peer = b - a; ours = c - b
        printf "EPSG:4326 -> EPSG:%s  cs2cs %.2f s  storenet %.2f s  ratio cs2cs/storenet %.1fx  worst disagreement %.3f mm\n",
            to, peer, ours, peer / ours, w * 1000 }'
    awk -v w="$worst" 'BEGIN { exit !(w < 0.001) }' || { echo "disagreement above 1 mm" >&2; exit 1; }
done
