#!/usr/bin/env bash
# Installs the Debian packages vkcap needs (only the missing ones), then configures and builds
# what running the CLI needs: the vkcap binary and its default model copy (target vkcap_cli), not
# the tests, tools or examples (scripts/test.sh builds those).
#   scripts/setup.sh            # packages + Release build of build/vkcap
#   VKCAP_BUILD_DIR=dir VKCAP_BUILD_TYPE=Debug scripts/setup.sh
# On Debian bookworm, mesa-vulkan-drivers comes from bookworm-backports (Mesa 25): its lavapipe
# runs vkcap's kernels 5-10x faster than bookworm's Mesa 22.3. Correctness never depends on it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libvulkan-dev glslang-tools spirv-tools
          mesa-vulkan-drivers vulkan-validationlayers vulkan-tools libstb-dev doctest-dev
          nlohmann-json3-dev libcli11-dev libopenblas-dev libexif-dev libexiv2-dev python3
          libwebp-dev libtiff-dev libheif-dev)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@";
  else echo "setup: need root (or sudo) to run: $*" >&2; exit 1; fi
}

. /etc/os-release
codename=${VERSION_CODENAME:-}
backports_added=0
if [ "${ID:-}" = debian ] && [ "$codename" = bookworm ]; then
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "setup: adding the official bookworm-backports suite (for Mesa 25's lavapipe)"
    echo "deb http://deb.debian.org/debian bookworm-backports main" |
      as_root tee /etc/apt/sources.list.d/vkcap-bookworm-backports.list >/dev/null
    backports_added=1
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
want_backports_mesa=0
if [ "$codename" = bookworm ]; then
  mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  case "$mesa_version" in 2[5-9].*|[3-9]*) ;; *) want_backports_mesa=1 ;; esac
fi

if [ ${#missing[@]} -gt 0 ] || [ $want_backports_mesa = 1 ] || [ $backports_added = 1 ]; then
  echo "setup: installing: ${missing[*]:-} $([ $want_backports_mesa = 1 ] && echo 'mesa-vulkan-drivers (bookworm-backports)')"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  # libheif 1.15 (bookworm) has its HEVC and AV1 decoders built in; from 1.16 on (trixie,
  # Ubuntu 24.04) they are plugin packages, which HEIC and AVIF decoding needs.
  if [ "$codename" != bookworm ]; then
    for p in libheif-plugin-libde265 libheif-plugin-dav1d libheif-plugin-aomdec; do
      if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" &&
         apt-cache show "$p" >/dev/null 2>&1; then missing+=("$p"); fi
    done
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ $want_backports_mesa = 1 ]; then
    as_root apt-get install -y -qq --no-install-recommends -t bookworm-backports \
      mesa-vulkan-drivers >/dev/null || echo "setup: bookworm-backports Mesa not available; keeping $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
  fi
fi

build_dir=${VKCAP_BUILD_DIR:-build}
build_type=${VKCAP_BUILD_TYPE:-Release}
[ -f CMakeLists.txt ] || exit 0
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" ${VKCAP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target vkcap_cli
