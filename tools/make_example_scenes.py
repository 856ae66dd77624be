#!/usr/bin/python3
"""Writes examples/scenes/*.png and examples/scenes/expected.tsv (scenes of seed 4242).

  /usr/bin/python3 tools/make_example_scenes.py [--out examples/scenes]
The expected caption is the scene's reference caption. The scenes were chosen among
seed 4242's first 16 as ones the shipped model (assets/models/vkcap-shapes, 75 % exact
match overall) captions correctly with PyTorch greedy decoding, so they double as a
smoke test for vkcap.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenes  # noqa: E402

SEED = 4242
INDICES = [3, 5, 14, 15, 0, 9]  # two single, two relation, two count scenes


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(root, "examples/scenes"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    lines = ["image\tcaption"]
    metas = []
    for i in INDICES:
        s = scenes.make_scene(SEED, i)
        name = f"scene_{SEED}_{i:05d}.png"
        s["image"].save(os.path.join(a.out, name))
        lines.append(f"{name}\t{s['caption']}")
        metas.append(dict(s["meta"], image=name))
    with open(os.path.join(a.out, "expected.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "scenes.json"), "w") as f:
        json.dump(metas, f, indent=1)


if __name__ == "__main__":
    main()
