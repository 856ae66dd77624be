#!/usr/bin/python3
"""Scores the default shapes model (or vkcap's output for it) on fresh scenes.

PyTorch reference run (renders the scenes, captions them greedily, writes results):
  /usr/bin/python3 tools/eval_default_model.py --model assets/models/vkcap-shapes \
      --seed 999 --count 500 --out /tmp/vkcap-eval
  -> /tmp/vkcap-eval/images/scene_999_00000.png ...
  -> /tmp/vkcap-eval/results.json: metrics + per scene {image, reference, meta,
     torch_tokens (HF sequence incl. [DEC] and [SEP]), torch_caption, exact, attributes}

Scoring vkcap (records with fields image, caption, tokens from `vkcap caption --format jsonl`):
  vkcap caption --format jsonl /tmp/vkcap-eval/images/*.png > vkcap.jsonl
  /usr/bin/python3 tools/eval_default_model.py --score vkcap.jsonl --results /tmp/vkcap-eval/results.json
Scenes are matched by image file name (scene_<seed>_<index>.png); without --results they
are regenerated from the name. With --results the token ids are also compared with the
PyTorch ones (exact sequence agreement, with or without the leading [DEC]).

Attributes (tools/scenes.py attribute_scores): shape, colour, size, relation, count.
Also reports, with --attention, how often the decoder's cross-attention (mean over layers
and heads) at the step that predicts each reference object's shape word peaks on a patch
overlapping that object's bounding box.
"""
import argparse
import json
import os
import re
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scene_grammar  # noqa: E402

# The PyTorch run needs numpy, Pillow and torch (Debian: python3-numpy python3-pil
# python3-torch); scoring vkcap's output against a results.json needs only python3.
np = torch = blip_tiny = scenes = None


def import_reference_stack():
    global np, torch, blip_tiny, scenes
    import numpy as np  # noqa: F811
    import torch  # noqa: F811
    import blip_tiny  # noqa: F811
    import scenes  # noqa: F811

SPECIAL = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]"}
NAME = re.compile(r"scene_(\d+)_(\d+)\.png$")


class Vocab:
    def __init__(self, model_dir):
        with open(f"{model_dir}/vocab.txt") as f:
            self.words = [w.rstrip("\n") for w in f]
        with open(f"{model_dir}/added_tokens.json") as f:
            for w, i in sorted(json.load(f).items(), key=lambda kv: kv[1]):
                assert i == len(self.words), "added tokens must follow vocab.txt"
                self.words.append(w)
        self.ids = {w: i for i, w in enumerate(self.words)}

    def decode(self, ids):
        """decode(skip_special_tokens=True) for whole-word vocabularies."""
        return " ".join(self.words[i] for i in ids if self.words[i] not in SPECIAL)


def pixel_values(images, model_dir):
    with open(f"{model_dir}/preprocessor_config.json") as f:
        pp = json.load(f)
    S = (pp["size"]["height"], pp["size"]["width"])
    arrs = []
    for im in images:
        if im.size != (S[1], S[0]):
            raise SystemExit(f"eval_default_model: image size {im.size} != model size {S}")
        arrs.append(np.asarray(im.convert("RGB"), dtype=np.float32))
    x = np.stack(arrs) * np.float32(pp["rescale_factor"])
    x = (x - np.array(pp["image_mean"], np.float32)) / np.array(pp["image_std"], np.float32)
    return torch.from_numpy(x.transpose(0, 3, 1, 2).copy())


def summarize(rows, key_exact="exact", key_attr="attributes"):
    n = len(rows)
    m = {"scenes": n, "exact": sum(r[key_exact] for r in rows) / max(1, n)}
    for a in scene_grammar.ATTRIBUTES:
        m[a] = sum(r[key_attr][a] for r in rows) / max(1, n)
    for kind in ("single", "relation", "count"):
        sub = [r for r in rows if r["meta"]["kind"] == kind]
        if sub:
            m[f"exact_{kind}"] = sum(r[key_exact] for r in sub) / len(sub)
    return m


def print_metrics(title, m):
    print(f"{title}: {m['scenes']} scenes, exact {100 * m['exact']:.1f}%  " + "  ".join(
        f"{a} {100 * m[a]:.1f}%" for a in scene_grammar.ATTRIBUTES))
    print("  by kind: " + "  ".join(f"{k[6:]} {100 * v:.1f}%" for k, v in m.items()
                                    if k.startswith("exact_")))


def attention_hits(model, vocab, pixels, sc):
    """Per shape word: does mean cross-attention peak on a patch touching the object?"""
    with torch.no_grad():
        return _attention_hits(model, vocab, pixels, sc)


def _attention_hits(model, vocab, pixels, sc):
    tc = model.config["text_config"]
    vc = model.config["vision_config"]
    P, G = vc["patch_size"], vc["image_size"] // vc["patch_size"]
    hits = []
    image = model.vision_model(pixels[None])
    words = sc["caption"].split()
    ids = torch.tensor([[tc["bos_token_id"]] + [vocab.ids[w] for w in words]])
    keep = []
    model.text_decoder(ids, image, keep)
    att = torch.stack([k[0].mean(0) for k in keep]).mean(0)  # [query, 1 + G*G]
    plural = set(scenes.PLURALS.values())
    obj_i = 0
    for pos, w in enumerate(words):
        if w in scenes.SHAPES or w in plural:
            targets = sc["meta"]["objects"] if w in plural else [sc["meta"]["objects"][obj_i]]
            obj_i += 1
            patch = int(att[pos, 1:].argmax())  # query at pos predicts words[pos]
            py, px = divmod(patch, G)
            cell = (px * P, py * P, px * P + P, py * P + P)
            hit = any(cell[0] < o["bbox"][2] and o["bbox"][0] < cell[2] and cell[1] < o["bbox"][3]
                      and o["bbox"][1] < cell[3] for o in targets)
            hits.append(hit)
    return hits


def run_torch(a):
    import_reference_stack()
    torch.set_num_threads(a.threads)
    model = blip_tiny.load_pretrained(a.model)
    vocab = Vocab(a.model)
    img_dir = os.path.join(a.out, "images")
    os.makedirs(img_dir, exist_ok=True)
    rows, att_hits = [], []
    for s0 in range(0, a.count, a.batch):
        sc = [scenes.make_scene(a.seed, i) for i in range(s0, min(a.count, s0 + a.batch))]
        px = pixel_values([s["image"] for s in sc], a.model)
        seqs = model.greedy(px, max_length=a.max_length)
        for j, (s, seq) in enumerate(zip(sc, seqs)):
            name = f"scene_{a.seed}_{s['meta']['index']:05d}.png"
            path = os.path.join(img_dir, name)
            s["image"].save(path)
            cap = vocab.decode(seq)
            rows.append({"image": path, "reference": s["caption"], "meta": s["meta"],
                         "torch_tokens": seq, "torch_caption": cap,
                         "exact": cap == s["caption"],
                         "attributes": scenes.attribute_scores(s["meta"], cap)})
            if a.attention:
                att_hits += attention_hits(model, vocab, px[j], s)
    m = summarize(rows)
    if a.attention:
        m["shape_word_attention_on_object"] = sum(att_hits) / max(1, len(att_hits))
    print_metrics(f"PyTorch {a.model} seed {a.seed}", m)
    if a.attention:
        print(f"  cross-attention peak on the named object: {100 * m['shape_word_attention_on_object']:.1f}%")
    for r in [r for r in rows if not r["exact"]][:a.show_errors]:
        print(f"  {os.path.basename(r['image'])}: ref '{r['reference']}' got '{r['torch_caption']}'")
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"model": a.model, "seed": a.seed, "count": a.count, "metrics": m,
                   "scenes": rows}, f, indent=1)
    print(f"wrote {os.path.join(a.out, 'results.json')}")
    return m


def score_jsonl(a):
    by_name = {}
    if a.results:
        with open(a.results) as f:
            for r in json.load(f)["scenes"]:
                by_name[os.path.basename(r["image"])] = r
    rows, same_tokens, compared = [], 0, 0
    with open(a.score) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            name = os.path.basename(rec["image"])
            ref = by_name.get(name)
            if ref is None:
                mm = NAME.search(name)
                if not mm:
                    raise SystemExit(f"{a.score}: image '{rec['image']}' is not a scene_<seed>_<index>.png")
                if scenes is None:
                    import_reference_stack()
                ref = {"meta": scenes.make_scene(int(mm.group(1)), int(mm.group(2)))["meta"]}
            meta = ref["meta"]
            cap = " ".join(rec["caption"].strip().lower().split())
            row = {"image": rec["image"], "meta": meta, "caption": cap, "exact": cap == meta["caption"],
                   "attributes": scene_grammar.attribute_scores(meta, cap)}
            if "torch_tokens" in ref and "tokens" in rec:
                compared += 1
                t, tt = list(rec["tokens"]), ref["torch_tokens"]
                same_tokens += t == tt or t == tt[1:]
            rows.append(row)
    m = summarize(rows)
    if compared:
        m["token_ids_equal_torch"] = same_tokens / compared
    print_metrics(f"{a.score}", m)
    if compared:
        print(f"  token ids equal to PyTorch: {same_tokens}/{compared}")
    for r in [r for r in rows if not r["exact"]][:a.show_errors]:
        print(f"  {os.path.basename(r['image'])}: ref '{r['meta']['caption']}' got '{r['caption']}'")
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--model", default=os.path.join(root, "assets/models/vkcap-shapes"))
    ap.add_argument("--seed", type=int, default=999)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--out", default="/tmp/vkcap-eval")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--max-length", type=int, default=20, help="HF default: 20 incl. [DEC]")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--attention", action="store_true", help="also check shape-word cross-attention")
    ap.add_argument("--score", help="JSONL from `vkcap caption --format jsonl` to score instead")
    ap.add_argument("--results", help="results.json of a PyTorch run (for --score)")
    ap.add_argument("--show-errors", type=int, default=10)
    ap.add_argument("--min-exact", type=float, default=0.0, help="exit 1 if exact match is lower")
    ap.add_argument("--min-attribute", type=float, default=0.0, help="exit 1 if any attribute is lower")
    ap.add_argument("--min-token-agreement", type=float, default=0.0,
                    help="with --score and --results: exit 1 if fewer token sequences equal PyTorch's")
    a = ap.parse_args()
    m = score_jsonl(a) if a.score else run_torch(a)
    failures = []
    if m["exact"] < a.min_exact:
        failures.append(f"exact {m['exact']:.4f} < {a.min_exact}")
    failures += [f"{k} {m[k]:.4f} < {a.min_attribute}" for k in scene_grammar.ATTRIBUTES if m[k] < a.min_attribute]
    if a.min_token_agreement > 0 and m.get("token_ids_equal_torch", 0.0) < a.min_token_agreement:
        failures.append(f"token agreement {m.get('token_ids_equal_torch', 0.0):.4f} < {a.min_token_agreement}")
    for f in failures:
        print(f"eval_default_model: below the floor: {f}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
