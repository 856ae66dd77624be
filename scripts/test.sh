#!/usr/bin/env bash
# Sets up (packages + build, see setup.sh) and runs the whole test suite with ctest.
# Every GPU test runs under the Khronos validation layer and fails on any message.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${VKCAP_BUILD_DIR:-build}" --output-on-failure -j 2 "$@"
