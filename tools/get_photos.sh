#!/bin/sh
# Copies a few free photos to try real captioning models on (BLIP, ViT-GPT2; the bundled model
# knows only synthetic shapes) out of Debian's python3-skimage package, without installing it or
# its dependencies: `apt-get download` fetches the .deb, `dpkg-deb -x` unpacks it into a
# temporary directory, and only the photos are kept.
#   tools/get_photos.sh [DIR]      (default: examples/photos, which git ignores)
# Licences, from scikit-image's own notes on each image (skimage/data/_fetchers.py):
#   astronaut.png  Eileen Collins, NASA Great Images: no known copyright restrictions, public domain
#   chelsea.png    a cat: CC0 by the photographer, Stefan van der Walt
#   coffee.png     a cup of coffee: CC0 by the photographer, Rachel Michetti
#   rocket.jpg     DSCOVR launch on Falcon 9, SpaceX: released into the public domain
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/examples/photos}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (As root apt warns that its _apt user cannot write to the temporary directory and downloads
# as root instead: harmless, so its messages are shown only when the download fails.)
(cd "$tmp" && apt-get download python3-skimage >/dev/null 2>"$tmp/apt.log") || {
  cat "$tmp/apt.log" >&2
  echo "get_photos.sh: 'apt-get download python3-skimage' failed (is a Debian/Ubuntu mirror reachable?)" >&2
  exit 1
}
dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/pkg"
data=$(find "$tmp/pkg" -type d -path '*/skimage/data' | head -n 1)
[ -n "$data" ] || { echo "get_photos.sh: no skimage/data directory in the package" >&2; exit 1; }
mkdir -p "$out"
for photo in astronaut.png chelsea.png coffee.png rocket.jpg; do
  cp "$data/$photo" "$out/$photo"
done
cat >"$out/LICENSES.txt" <<'TEXT'
Photos copied from Debian's python3-skimage package (scikit-image sample data) by tools/get_photos.sh.
astronaut.png  Eileen Collins, from NASA Great Images (https://flic.kr/p/r9qvLn): no known copyright restrictions, public domain.
chelsea.png    Chelsea the cat: CC0 by the photographer, Stefan van der Walt.
coffee.png     A cup of coffee: CC0 by the photographer, Rachel Michetti.
rocket.jpg     Launch of DSCOVR on Falcon 9, by SpaceX (https://www.flickr.com/photos/spacexphotos/16511594820/): released into the public domain.
TEXT
echo "wrote $(ls "$out" | wc -l) files to $out:"
ls -l "$out" | tail -n +2
