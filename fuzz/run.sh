#!/usr/bin/env bash
# Builds every fuzz target and runs each for a bounded time. Not run in CI.
#
#   fuzz/run.sh                     # every target, FUZZ_SECONDS (default 60) each
#   FUZZ_SECONDS=300 fuzz/run.sh opening_hours route_gpx
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz passes nightly-only flags to rustc;
# on a stable toolchain RUSTC_BOOTSTRAP=1 lets stable rustc accept them, which is what this
# script sets. The sanitizer is off (`-s none`): the crate is `forbid(unsafe_code)`, so what we
# look for is panics, overflows (debug assertions stay on) and hangs, and the build is much
# cheaper. New interesting inputs are merged into fuzz/corpus/<target>; crashes land in
# fuzz/artifacts/<target>/ and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# The path-based readers get each input through a scratch file; keep it in memory when we can.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build -s none
bin=target/x86_64-unknown-linux-gnu/release
failed=()
printf '%-18s %8s %12s %8s %6s\n' target seconds executions exec/s crash
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t/last-run.log"
    # Fresh finds go to a scratch directory first and are merged (minimised) into the corpus.
    fresh=$(mktemp -d)
    status=0
    "$bin/$t" "$fresh" "corpus/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || status=$?
    "$bin/$t" -merge=1 "corpus/$t" "$fresh" >/dev/null 2>&1 || true
    rm -rf "$fresh" "${TMPDIR:-/tmp}"/storenet-fuzz-*
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(( execs / (seconds > 0 ? seconds : 1) ))
    crash=no
    if [ "$status" -ne 0 ]; then crash=YES; failed+=("$t"); fi
    printf '%-18s %8s %12s %8s %6s\n' "$t" "$seconds" "$execs" "$rate" "$crash"
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "crashes in: ${failed[*]} (inputs in fuzz/artifacts/<target>/, logs in last-run.log)" >&2
    exit 1
fi
