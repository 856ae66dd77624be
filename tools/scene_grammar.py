"""The caption grammar of tools/scenes.py, without the renderer: its words, and the parser
that scores a generated caption per attribute. Pure Python (no numpy, Pillow or torch), so
scoring vkcap's output needs nothing beyond python3.
"""

SHAPES = ["circle", "square", "triangle", "star", "cross", "ring", "diamond"]
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars",
           "cross": "crosses", "ring": "rings", "diamond": "diamonds"}
COLOURS = {  # name -> nominal RGB; each object jitters around it
    "red": (220, 40, 35), "green": (40, 190, 60), "blue": (45, 85, 230),
    "yellow": (240, 220, 40), "purple": (160, 60, 200), "white": (245, 245, 245)}
SIZES = {"small": (11, 15), "large": (21, 26)}
NUMBERS = {2: "two", 3: "three"}
RELATION_WORDS = {"left_of": "to the left of", "above": "above"}
# Every word the grammar can produce, in a fixed order (the tokenizer vocabulary).
WORDS = (["a", "two", "three", "small", "large"] + list(COLOURS) + SHAPES
         + [PLURALS[s] for s in SHAPES] + ["to", "the", "left", "of", "above"])


def parse_caption(text):
    """Inverse of caption_of: {count, relation, objects:[{size, colour, shape}]} or None."""
    w = text.strip().split()
    singular = {v: k for k, v in PLURALS.items()}

    def obj(ws):
        if len(ws) != 3 or ws[0] not in SIZES or ws[1] not in COLOURS:
            return None
        return {"size": ws[0], "colour": ws[1], "shape": ws[2]}

    if len(w) == 4 and w[0] in ("two", "three") and w[3] in singular:
        o = obj([w[1], w[2], singular[w[3]]])
        n = 2 if w[0] == "two" else 3
        return None if o is None else {"count": n, "relation": None, "objects": [o] * n}
    if len(w) == 4 and w[0] == "a" and w[3] in SHAPES:
        o = obj(w[1:4])
        return None if o is None else {"count": 1, "relation": None, "objects": [o]}
    for rel, words in RELATION_WORDS.items():
        rw = words.split()
        if len(w) == 8 + len(rw) and w[0] == "a" and w[4:4 + len(rw)] == rw and w[4 + len(rw)] == "a":
            a, b = obj(w[1:4]), obj(w[5 + len(rw):])
            if a is None or b is None or a["shape"] not in SHAPES or b["shape"] not in SHAPES:
                return None
            return {"count": 2, "relation": rel, "objects": [a, b]}
    return None


ATTRIBUTES = ["shape", "colour", "size", "relation", "count"]


def attribute_scores(meta, text):
    """{attribute: bool} for a generated caption against a scene's metadata.

    shape/colour/size: the sequence of that attribute over the objects in caption order
    matches; relation: same relation (null for single/count scenes); count: same number of
    objects described. An unparsable caption scores False on everything."""
    p = parse_caption(text)
    if p is None:
        return {a: False for a in ATTRIBUTES}
    ref = meta["objects"]
    out = {}
    for a in ("shape", "colour", "size"):
        out[a] = [o[a] for o in p["objects"]] == [o[a] for o in ref]
    out["relation"] = p["relation"] == meta["relation"]
    out["count"] = p["count"] == meta["count"]
    return out
