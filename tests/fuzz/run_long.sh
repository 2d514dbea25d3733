#!/usr/bin/env bash
# Long fuzzing runs (docs/testing/fuzzing.md): each target of the fuzz preset
# in turn, at the lowest CPU priority, on one core, until it has executed
# RUNS inputs (default 10 million) or run MAX_SECONDS (default: no limit).
#
#   bash tests/fuzz/run_long.sh [target...]   (default: every target)
#
# Needs `cmake --preset fuzz && cmake --build --preset fuzz` first. Logs go
# to build/fuzz/long/<target>.log; libFuzzer's last lines there give the
# executions (stat::number_of_executed_units) and any crash, whose input is
# saved as build/fuzz/long/<target>/crash-*.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/build/fuzz/tests/fuzz"
OUT="$ROOT/build/fuzz/long"
RUNS="${RUNS:-10000000}"
MAX_SECONDS="${MAX_SECONDS:-0}"
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for f in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
    t="$(basename "$f" .cpp)"
    targets+=("${t#fuzz_}")
  done
fi
mkdir -p "$OUT"
for t in "${targets[@]}"; do
  mkdir -p "$OUT/$t/new"
  echo "$(date -u +%FT%TZ) fuzz_$t: start (runs $RUNS, max ${MAX_SECONDS}s)"
  rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n 19 "$BIN/fuzz_$t" -runs="$RUNS" -max_total_time="$MAX_SECONDS" -timeout=30 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/$t/" "$OUT/$t/new" "$ROOT/tests/fuzz/corpus/$t" \
    >"$OUT/$t.log" 2>&1 || rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$OUT/$t.log" | awk '{print $2}' || true)"
  echo "$(date -u +%FT%TZ) fuzz_$t: exit $rc, executions ${runs:-?}"
done
