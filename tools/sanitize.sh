#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
#
#   tools/sanitize.sh [ctest arguments...]        e.g. tools/sanitize.sh -R 'text|image'
#
# Configures build-sanitize with -DVKCAP_SANITIZE=ON (the project's compiler, -O1 -g, every
# layer instrumented; UB is fatal: -fno-sanitize-recover), builds everything and runs ctest.
# Slow (ASan + the validation layer + lavapipe): about an hour on 2 cores. VKCAP_SANITIZE_JOBS
# sets the build and ctest parallelism (default: all cores).
#
# Leak checking is off (detect_leaks=0): the Vulkan driver is not ours and not instrumented.
# Mesa's lavapipe keeps LLVM's JIT state, its shader caches and per-process singletons alive
# until exit on purpose, and the Vulkan loader and validation layer do the same, so LeakSanitizer
# reports them at every process exit. Our own leaks are covered where they can be seen: the
# fuzz targets (tools/fuzz.sh) run with leak detection on over every parser.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${VKCAP_SANITIZE_BUILD:-$root/build-sanitize}
jobs=${VKCAP_SANITIZE_JOBS:-$(nproc)}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DVKCAP_SANITIZE=ON -DVKCAP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j"$jobs" "$@"
