#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each for a while:
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      e.g. tools/fuzz.sh 600   (10 min each)
#
# Targets run two at a time (VKCAP_FUZZ_JOBS), each starting from its committed corpus
# tests/fuzz/corpus/<target>/. New inputs go to a work directory; at the end, the ones that add
# coverage are merged back into the committed corpus (-merge=1), so the corpus grows only by
# what is new. Crashes, leaks, timeouts (> 10 s per input) and out-of-memory (> 2.5 GB, also a
# single malloc that large) are written to build-fuzz/fuzz-artifacts/<target>/ and make the
# script fail; turn each into tests/fuzz/corpus/<target>/regress_<what> plus a named test.
#
# The summary (per target: seconds, executions, exec/s, coverage, corpus size, crashes) goes to
# build-fuzz/fuzz-summary.md and stdout; full logs to build-fuzz/fuzz-logs/<target>.log.
# VKCAP_FUZZ_MINIMIZE=1 rebuilds each corpus as its seed_* and regress_* inputs plus the fewest
# others that keep the coverage (libFuzzer's merge), to keep what is committed small.
# Environment: VKCAP_FUZZ_BUILD (default build-fuzz), VKCAP_FUZZ_JOBS (2), CC/CXX (clang-14).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build=${VKCAP_FUZZ_BUILD:-$root/build-fuzz}
jobs=${VKCAP_FUZZ_JOBS:-2}
cc=${CC:-clang-14}
cxx=${CXX:-clang++-14}

all_targets=$(sed -e 's/#.*//' "$root/tests/fuzz/targets.cmake" | sed -n '/^set(VKCAP_FUZZ_TARGETS/,/)/p' |
  sed -e 's/set(VKCAP_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \n' ' ')
targets=${*:-$all_targets}

echo "== building fuzz targets in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="$cxx" -DVKCAP_FUZZ=ON -DVKCAP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target fuzz_all -j"$jobs" >/dev/null

mkdir -p "$build/fuzz-logs" "$build/fuzz-work" "$build/fuzz-artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_one() {
  local t=$1 corpus="$root/tests/fuzz/corpus/$1" work="$build/fuzz-work/$1"
  local log="$build/fuzz-logs/$1.log" artifacts="$build/fuzz-artifacts/$1/"
  mkdir -p "$work" "$artifacts" "$corpus"
  local status=0
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$corpus" >"$log" 2>&1 || status=$?
  if [[ ${VKCAP_FUZZ_MINIMIZE:-0} == 1 ]]; then
    # Rebuild the corpus from scratch: the seeds and regression inputs always, plus the fewest
    # other inputs (old corpus and this run's) that keep all the coverage.
    local fresh="$work.min"
    rm -rf "$fresh" && mkdir -p "$fresh"
    find "$corpus" -maxdepth 1 -type f \( -name 'seed_*' -o -name 'regress_*' \) -exec cp {} "$fresh"/ \;
    "$build/fuzz/fuzz_$t" -merge=1 -timeout=10 -rss_limit_mb=2560 "$fresh" "$corpus" "$work" >"$log.merge" 2>&1 || true
    find "$corpus" -maxdepth 1 -type f -delete
    cp "$fresh"/* "$corpus"/
  else
    # New inputs that add coverage join the committed corpus; nothing is removed from it.
    "$build/fuzz/fuzz_$t" -merge=1 -timeout=10 -rss_limit_mb=2560 "$corpus" "$work" >"$log.merge" 2>&1 || true
  fi
  echo "$status" >"$log.status"
}
export -f run_one
export root build seconds

echo "== fuzzing {${targets# }} for ${seconds}s each, $jobs at a time"
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}'

summary="$build/fuzz-summary.md"
failed=0
{
  echo "fuzzing on $(date -u '+%Y-%m-%d %H:%M UTC'), ${seconds}s per target, $jobs at a time, $(nproc) cores"
  echo
  echo "| target | seconds | executions | exec/s | coverage (edges) | features | corpus files | crashes |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for t in $targets; do
    log="$build/fuzz-logs/$t.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    files=$(find "$root/tests/fuzz/corpus/$t" -type f | wc -l)
    crashes=$(find "$build/fuzz-artifacts/$t" -type f | wc -l)
    status=$(cat "$log.status")
    if [[ $status != 0 || $crashes != 0 ]]; then failed=1; fi
    echo "| $t | $seconds | ${runs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $files | $crashes |"
  done
} | tee "$summary"
echo
echo "summary: $summary; logs: $build/fuzz-logs/"
if [[ $failed != 0 ]]; then
  echo "FAILED: crashes in $build/fuzz-artifacts/ (see the logs)" >&2
  exit 1
fi
