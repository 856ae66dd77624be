#!/usr/bin/python3
"""Writes examples/scenes/*.png and examples/scenes/expected.tsv (scenes of seed 4242).

  /usr/bin/python3 tools/make_example_scenes.py [--out examples/scenes]
The expected caption is the scene's reference caption. The shipped model
(assets/models/vkcap-shapes, 97 % exact match overall) captions all of seed 4242's first 16
scenes correctly with PyTorch greedy decoding; these six show each kind of caption (both
relations among them), so they double as a smoke test for vkcap. The torch_greedy_ids column
of expected.tsv is PyTorch's greedy output (tools/blip_tiny.py), added with --ids.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenes  # noqa: E402

SEED = 4242
INDICES = [3, 5, 14, 4, 0, 9]  # two single, two relation ("above", "to the left of"), two count


def greedy_ids(model_dir, images):
    """PyTorch greedy token ids ([DEC] ... [SEP]) for each image, computed exactly as
    tools/eval_default_model.py computes the evaluation's reference ids."""
    import eval_default_model as ev
    ev.import_reference_stack()
    model = ev.blip_tiny.load_pretrained(model_dir)
    return [[int(t) for t in q] for q in model.greedy(ev.pixel_values(images, model_dir))]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(root, "examples/scenes"))
    ap.add_argument("--ids", action="store_true",
                    help="add PyTorch's greedy token ids (needs python3-torch) as a third column")
    ap.add_argument("--model", default=os.path.join(root, "assets/models/vkcap-shapes"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    chosen = [scenes.make_scene(SEED, i) for i in INDICES]
    ids = greedy_ids(a.model, [s["image"] for s in chosen]) if a.ids else None
    lines = ["image\tcaption" + ("\ttorch_greedy_ids" if ids else "")]
    metas = []
    for n, (i, s) in enumerate(zip(INDICES, chosen)):
        name = f"scene_{SEED}_{i:05d}.png"
        s["image"].save(os.path.join(a.out, name))
        lines.append(f"{name}\t{s['caption']}" + ("\t" + " ".join(map(str, ids[n])) if ids else ""))
        metas.append(dict(s["meta"], image=name))
    with open(os.path.join(a.out, "expected.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "scenes.json"), "w") as f:
        json.dump(metas, f, indent=1)


if __name__ == "__main__":
    main()
