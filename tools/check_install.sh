#!/bin/sh
# Checks that vkcap works as an installed library: `cmake --install` to a temporary prefix, then
# a separate consumer project finds it with find_package(vkcap), builds the examples from copies
# that see only the installed headers (never src/), and runs two of them.
#   tools/check_install.sh [BUILD_DIR]     (default: build; it is configured if needed)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target vkcap_api vkcap_cli -j"$(nproc)"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
echo "installed to $tmp/prefix:"; (cd "$tmp/prefix" && find . -type f | sort | sed 's/^/  /')

mkdir -p "$tmp/consumer"
cp "$src"/examples/*.cpp "$src"/examples/lesson.h "$tmp/consumer/"
cat >"$tmp/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(vkcap_consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(vkcap 0.1 REQUIRED)
foreach(example caption self_attention masked_attention multi_head cross_attention caption_attention)
  add_executable(${example} ${example}.cpp)
  target_link_libraries(${example} PRIVATE vkcap::vkcap)
endforeach()
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/consumer/build" -j"$(nproc)"

fixture="$src/tests/fixtures/blip_tiny_a"
caption=$("$tmp/consumer/build/caption" "$fixture" "$fixture/img0_80x56.png" 12)
[ "$caption" = "pizza the f j cat" ] || { echo "check_install: caption printed '$caption'" >&2; exit 1; }
"$tmp/consumer/build/self_attention" >/dev/null
"$tmp/consumer/build/cross_attention" "$tmp/heat.png" >/dev/null
echo "check_install: OK (find_package(vkcap) consumer built all examples; caption = '$caption')"
