#!/usr/bin/env bash
# Sets up (packages + the CLI, see setup.sh), builds everything else (tests, tools, examples)
# and runs the whole test suite with ctest.
# Every GPU test runs under the Khronos validation layer and fails on any message.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --build "${VKCAP_BUILD_DIR:-build}" -j "$(nproc)"
ctest --test-dir "${VKCAP_BUILD_DIR:-build}" --output-on-failure -j 2 "$@"
