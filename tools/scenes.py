#!/usr/bin/python3
"""Synthetic shape scenes for vkcap's default captioning model.

Every scene is a pure function of (seed, index): make_scene(seed, index) draws from
numpy's PCG64 generator seeded with [seed, index], so scene 17 of seed 999 is the same
image and caption on every machine and independent of how many scenes were made before.
Seeds used by the project: training 1 (indices 0, 1, 2, ... in order), evaluation 999,
examples 4242.

A scene is IMAGE_SIZE x IMAGE_SIZE RGB (the model's input size, so BLIP's resize is a
no-op) and one of three kinds, each with a caption from a small grammar:

  single    one object                      "a small red circle"
  relation  two different objects, laid     "a small red circle to the left of a large blue square"
            out clearly side by side or     "a large green star above a small white ring"
            one over the other; the left
            (resp. top) object is named first
  count     two or three identical objects  "two small red circles", "three large blue stars"

Objects: shape (SHAPES), colour (COLOURS), size (small: 11-15 px box, large: 21-26 px
box). Objects never overlap (at least GAP px apart). For a relation, |dx| >= 2|dy| for
"to the left of" and |dy| >= 2|dx| for "above", so the relation is unambiguous.
Backgrounds: a desaturated random colour with a linear gradient, a few soft blobs and
Gaussian pixel noise (added over the objects too).

Metadata (scene["meta"]) is JSON-ready: kind, count, relation (left_of | above | null),
objects in caption order with shape, colour, size, bbox [x0, y0, x1, y1) in pixels and
centre, caption, seed and index. parse_caption() inverts the grammar so generated
captions can be scored per attribute (attribute_scores()).
"""
import colorsys
import json
import math
import sys

import numpy as np
from PIL import Image, ImageDraw

from scene_grammar import (ATTRIBUTES, COLOURS, NUMBERS, PLURALS, RELATION_WORDS, SHAPES,  # noqa: F401
                           SIZES, WORDS, attribute_scores, parse_caption)

IMAGE_SIZE = 64
SUPERSAMPLE = 4  # shapes are drawn at 4x and box-filtered down for anti-aliased edges
GAP = 3

KIND_WEIGHTS = {"single": 0.3, "relation": 0.45, "count": 0.25}


def _shape_polygon(shape, cx, cy, r, rot):
    """Outline points (or None for round shapes) for a shape of radius r at (cx, cy)."""
    def pts(n, radii, phase):
        out = []
        for i in range(n * len(radii)):
            a = phase + rot + 2 * math.pi * i / (n * len(radii))
            rr = radii[i % len(radii)]
            out.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        return out
    if shape == "square":
        return pts(4, [r * math.sqrt(2)], math.pi / 4)
    if shape == "diamond":
        return [(cx, cy - r), (cx + 0.72 * r, cy), (cx, cy + r), (cx - 0.72 * r, cy)]
    if shape == "triangle":
        return pts(3, [r * 1.15], -math.pi / 2)
    if shape == "star":
        return pts(5, [r * 1.05, r * 0.45], -math.pi / 2)
    if shape == "cross":
        w = r * 0.36
        base = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w),
                (-r, w), (-r, -w), (-w, -w)]
        c, s = math.cos(rot), math.sin(rot)
        return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in base]
    return None


def _draw_mask(shape, box):
    """Anti-aliased coverage mask (float32, IMAGE_SIZE^2) of one shape filling box."""
    S = IMAGE_SIZE * SUPERSAMPLE
    img = Image.new("L", (S, S), 0)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = [v * SUPERSAMPLE for v in box]
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
    if shape == "circle":
        d.ellipse([x0, y0, x1, y1], fill=255)
    elif shape == "ring":
        d.ellipse([x0, y0, x1, y1], fill=255)
        t = r * 0.45
        d.ellipse([x0 + t, y0 + t, x1 - t, y1 - t], fill=0)
    else:
        d.polygon(_shape_polygon(shape, cx, cy, r, 0.0), fill=255)
    img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    return np.asarray(img, dtype=np.float32) / 255.0


def _background(rng):
    h, s, v = rng.random(), rng.uniform(0.0, 0.35), rng.uniform(0.12, 0.5)
    base = np.array(colorsys.hsv_to_rgb(h, s, v), dtype=np.float32)
    yy, xx = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32) / IMAGE_SIZE
    ang = rng.uniform(0, 2 * math.pi)
    grad = (np.cos(ang) * (xx - 0.5) + np.sin(ang) * (yy - 0.5)) * rng.uniform(0, 0.25)
    img = base[None, None, :] + grad[:, :, None]
    for _ in range(rng.integers(0, 4)):  # soft blobs
        bx, by, br = rng.random(), rng.random(), rng.uniform(0.1, 0.3)
        blob = np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * br * br))
        tint = rng.uniform(-0.12, 0.12, size=3).astype(np.float32)
        img = img + blob[:, :, None] * tint[None, None, :]
    return img


def _random_box(rng, size):
    lo, hi = SIZES[size]
    w = int(rng.integers(lo, hi + 1))
    x0 = int(rng.integers(1, IMAGE_SIZE - w))
    y0 = int(rng.integers(1, IMAGE_SIZE - w))
    return [x0, y0, x0 + w, y0 + w]


def _apart(a, b):
    """Boxes separated by at least GAP pixels along x or y."""
    return (a[2] + GAP <= b[0] or b[2] + GAP <= a[0] or a[3] + GAP <= b[1] or b[3] + GAP <= a[1])


def _centre(b):
    return ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)


def _place(rng, sizes, relation=None):
    """Non-overlapping boxes for the given sizes; for a relation the first box is left/top."""
    for _ in range(1000):
        boxes = [_random_box(rng, s) for s in sizes]
        if not all(_apart(boxes[i], boxes[j]) for i in range(len(boxes)) for j in range(i)):
            continue
        if relation is not None:
            (ax, ay), (bx, by) = _centre(boxes[0]), _centre(boxes[1])
            dx, dy = bx - ax, by - ay
            if relation == "left_of" and not (dx > 0 and abs(dx) >= 2 * abs(dy)
                                               and boxes[0][2] + GAP <= boxes[1][0]):
                continue
            if relation == "above" and not (dy > 0 and abs(dy) >= 2 * abs(dx)
                                             and boxes[0][3] + GAP <= boxes[1][1]):
                continue
        return boxes
    raise RuntimeError("scene placement failed")


def _pick(rng, options):
    return options[int(rng.integers(0, len(options)))]


def caption_of(meta):
    objs = meta["objects"]
    if meta["kind"] == "count":
        o = objs[0]
        return f"{NUMBERS[meta['count']]} {o['size']} {o['colour']} {PLURALS[o['shape']]}"
    phrase = [f"a {o['size']} {o['colour']} {o['shape']}" for o in objs]
    if meta["kind"] == "single":
        return phrase[0]
    return f"{phrase[0]} {RELATION_WORDS[meta['relation']]} {phrase[1]}"


def make_scene(seed, index, kind_weights=None):
    """Returns {"image": PIL RGB image, "caption": str, "meta": dict}.

    kind_weights (default KIND_WEIGHTS, the mix every evaluation uses) lets training draw
    more of the scenes it finds hard; the scene is still a pure function of its arguments."""
    weights = kind_weights or KIND_WEIGHTS
    rng = np.random.default_rng([seed, index])
    r = rng.random()
    kinds = list(weights)
    acc, kind = 0.0, kinds[-1]
    for k in kinds:
        acc += weights[k]
        if r < acc:
            kind = k
            break

    def rand_obj():
        return {"shape": _pick(rng, SHAPES), "colour": _pick(rng, list(COLOURS)),
                "size": _pick(rng, list(SIZES))}

    relation = None
    if kind == "single":
        objs = [rand_obj()]
    elif kind == "relation":
        a = rand_obj()
        while True:
            b = rand_obj()
            if b != a:  # identical pairs are captioned as counts
                break
        objs = [a, b]
        relation = _pick(rng, list(RELATION_WORDS))
    else:
        o = rand_obj()
        objs = [dict(o) for _ in range(2 if rng.random() < 0.55 else 3)]
    boxes = _place(rng, [o["size"] for o in objs], relation)

    img = _background(rng)
    for o, box in zip(objs, boxes):
        colour = np.array(COLOURS[o["colour"]], np.float32) / 255.0
        colour = np.clip(colour + rng.uniform(-0.06, 0.06, size=3), 0, 1) * rng.uniform(0.85, 1.0)
        mask = _draw_mask(o["shape"], box)[:, :, None]
        img = img * (1 - mask) + colour[None, None, :] * mask
        o["bbox"] = box
        o["centre"] = list(_centre(box))
    img = img + rng.normal(0, rng.uniform(0.01, 0.05), size=img.shape)
    pixels = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)

    meta = {"seed": seed, "index": index, "kind": kind, "count": len(objs),
            "relation": relation, "objects": objs}
    meta["caption"] = caption_of(meta)
    return {"image": Image.fromarray(pixels, "RGB"), "caption": meta["caption"], "meta": meta}


if __name__ == "__main__":
    # Usage: scenes.py SEED COUNT OUTDIR  -> OUTDIR/scene_<i>.png + OUTDIR/scenes.jsonl
    import os
    seed, count, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "scenes.jsonl"), "w") as f:
        for i in range(count):
            s = make_scene(seed, i)
            name = f"scene_{seed}_{i:05d}.png"
            s["image"].save(os.path.join(outdir, name))
            f.write(json.dumps(dict(s["meta"], image=name)) + "\n")
