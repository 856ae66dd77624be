#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into tests/fuzz/corpus/<target>/seed_*, from
the small fixtures in tests/fixtures (plus a few hand-made files). Standard library only.
The committed corpus is these seeds plus what fuzzing found, minimised with -merge=1
(tools/fuzz.sh); regression inputs for fixed crashes are named regress_*."""
import io
import json
import pathlib
import struct
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
SEP = b"\n--8<--\n"


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed_" + name)).write_bytes(data)


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def seeds_safetensors():
    put("safetensors", "dtypes", safetensors({
        "f32": ("F32", [2, 3], struct.pack("<6f", *range(6))),
        "f16": ("F16", [4], b"\x00\x3c" * 4),
        "bf16": ("BF16", [2, 1], b"\x80\x3f" * 2),
        "i64": ("I64", [1], struct.pack("<q", -5)),
        "u8": ("U8", [3], b"abc"),
        "empty": ("F32", [0, 7], b""),
        "scalar": ("F32", [], struct.pack("<f", 1.5)),
    }, {"format": "pt"}))
    put("safetensors", "one", safetensors({"w": ("F32", [1], b"\0\0\x80\x3f")}))
    real = (FIX / "blip_tiny_a" / "model.safetensors").read_bytes()
    n = struct.unpack("<Q", real[:8])[0]
    put("safetensors", "blip_tiny_header", real[:8 + n] + real[8 + n:8 + n + 64])


def seeds_torch():
    for f in sorted((FIX / "formats").glob("*.bin")):
        data = f.read_bytes()
        if len(data) > 16384:
            continue
        put("torch_zip", f.stem, data)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist():
                    if info.filename.endswith("data.pkl"):
                        put("torch_pickle", f.stem + ".pkl", z.read(info))
        except zipfile.BadZipFile:
            pass


def seeds_json():
    configs = [FIX / "blip_tiny_a" / "config.json", FIX / "vitgpt2_tiny_b" / "config.json"]
    configs += sorted((FIX / "real_configs").glob("*/config*.json"))
    for i, f in enumerate(configs):
        put("json_configs", f"config_{i}", b"c" + f.read_bytes())
    pre = [FIX / "blip_tiny_a" / "preprocessor_config.json", FIX / "vitgpt2_tiny_b" / "preprocessor_config.json"]
    pre += sorted((FIX / "real_configs").glob("*/preprocessor_config.json"))
    for i, f in enumerate(pre):
        put("json_configs", f"preprocessor_{i}", b"p" + f.read_bytes())
    put("json_configs", "preprocessor_shortest_edge",
        b'p{"image_processor_type": "ViTImageProcessor", "size": {"shortest_edge": 7}, "resample": 3}')
    index = {"metadata": {"total_size": 8}, "weight_map": {"w": "model-00001-of-00001.safetensors"}}
    put("json_configs", "index", b"i" + json.dumps(index).encode())
    shard = safetensors({"w": ("F32", [2], b"\1" * 8), "b": ("F16", [1], b"\0\0")})
    index2 = {"weight_map": {"w": "model-00001-of-00001.safetensors", "b": "model-00001-of-00001.safetensors"}}
    put("json_configs", "index_with_shard", b"i" + json.dumps(index2).encode() + SEP + shard)


def tiny_tokenizer_json():
    t = json.loads((FIX / "text" / "blip-base-tokenizer-json" / "tokenizer.json").read_text())
    vocab = t["model"]["vocab"]
    keep = [k for k, v in sorted(vocab.items(), key=lambda kv: kv[1])][:1100:7]
    for k in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "dog", "##s", "a", "the", "on"):
        if k in vocab and k not in keep:
            keep.append(k)
    t["model"]["vocab"] = {k: i for i, k in enumerate(keep)}
    t["added_tokens"] = [dict(a, id=t["model"]["vocab"][a["content"]]) for a in t["added_tokens"]
                         if a["content"] in t["model"]["vocab"]]
    return json.dumps(t).encode()


def seeds_tokenizer_files():
    a = FIX / "blip_tiny_a"
    put("tokenizer_files", "wordpiece", b"w" + SEP.join([
        (a / "vocab.txt").read_bytes(), (a / "tokenizer_config.json").read_bytes(),
        (a / "added_tokens.json").read_bytes(), (a / "special_tokens_map.json").read_bytes()]))
    put("tokenizer_files", "wordpiece_bare", b"w" + (a / "vocab.txt").read_bytes())
    b = FIX / "vitgpt2_tiny_b"
    put("tokenizer_files", "bpe", b"b" + SEP.join([
        (b / "vocab.json").read_bytes(), (b / "merges.txt").read_bytes(), (b / "tokenizer_config.json").read_bytes()]))
    put("tokenizer_files", "tokenizer_json_wordpiece", b"t" + tiny_tokenizer_json())
    vocab = json.loads((b / "vocab.json").read_text())
    merges = [line.split(" ") for line in (b / "merges.txt").read_text().split("\n")[1:-1]]
    bpe = {"version": "1.0", "added_tokens": [], "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
           "model": {"type": "BPE", "vocab": vocab, "merges": [" ".join(m) for m in merges]}}
    put("tokenizer_files", "tokenizer_json_bpe", b"t" + json.dumps(bpe).encode())
    bpe["model"]["merges"] = merges
    put("tokenizer_files", "tokenizer_json_bpe_pairs", b"t" + json.dumps(bpe).encode())


def seeds_tokenizer_text():
    texts = set()
    for name in ("gpt2.json", "bert_uncased_blip.json"):
        cases = json.loads((FIX / "text" / "cases" / name).read_text())["cases"]
        for c in cases[::6]:
            texts.add(c["text"])
    for i, text in enumerate(sorted(texts)):
        put("tokenizer_text", f"{i:03d}", bytes([i % 16]) + text.encode())
    # Florence-2 (flag bit 4): the reference post-processing texts, full of added tokens.
    cases = json.loads((FIX / "text" / "cases" / "florence2_postprocess.json").read_text())["cases"]
    for i, c in enumerate(cases):
        put("tokenizer_text", f"florence2_{i:02d}", bytes([16 | (i % 16)]) + c["text_with_special"].encode())


def seeds_florence2_answer():
    # The reference post-processing texts, each with its task and image size (see the target).
    cases = json.loads((FIX / "text" / "cases" / "florence2_postprocess.json").read_text())["cases"]
    tasks = ["<OCR>", "<OCR_WITH_REGION>", "<CAPTION>", "<DETAILED_CAPTION>", "<MORE_DETAILED_CAPTION>", "<OD>",
             "<DENSE_REGION_CAPTION>", "<REGION_PROPOSAL>", "<CAPTION_TO_PHRASE_GROUNDING>",
             "<REFERRING_EXPRESSION_SEGMENTATION>", "<REGION_TO_SEGMENTATION>", "<OPEN_VOCABULARY_DETECTION>",
             "<REGION_TO_CATEGORY>", "<REGION_TO_DESCRIPTION>", "<REGION_TO_OCR>"]
    for i, c in enumerate(cases):
        w, h = c["image_size_wh"]
        put("florence2_answer", f"{i:02d}", struct.pack("<HHB", w - 1, h - 1, tasks.index(c["task"])) +
            c["text_with_special"].encode())
    loc = lambda *bins: "".join(f"<loc_{b}>" for b in bins)
    for name, task, text in [
            ("polygons", "<REGION_TO_SEGMENTATION>", loc(10, 20, 30, 40, 50) + "<sep>" + loc(1, 2)),
            ("poly_groups", "<REFERRING_EXPRESSION_SEGMENTATION>",
             "<poly>" + loc(1, 2, 3, 4) + "</poly><poly>" + loc(5, 6, 7, 8, 9, 10) + "</poly>"),
            ("ovd_poly", "<OPEN_VOCABULARY_DETECTION>", "a cat<poly>" + loc(1, 2, 3, 4, 5, 6) + "</poly>")]:
        put("florence2_answer", name, struct.pack("<HHB", 639, 479, tasks.index(task)) + text.encode())


def seeds_image():
    for f in sorted((FIX / "image" / "formats").iterdir()):
        if f.suffix in (".png", ".jpg", ".gif", ".bmp", ".webp", ".tif", ".heic", ".avif"):
            # Flags: bit 0 applies EXIF orientation, bit 1 also preprocesses (for the PNGs).
            put("image", f.name, (b"\3" if f.suffix == ".png" else b"\1") + f.read_bytes())


def regress(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("regress_" + name)).write_bytes(data)


def torch_zip(pkl, storages, prefix="archive"):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "/data.pkl", pkl)
        for key, raw in storages.items():
            z.writestr(prefix + "/data/" + key, raw)
        z.writestr(prefix + "/version", b"3\n")
    return out.getvalue()


def pickle_one_tensor(size, stride, numel):
    """A state dict {'x': tensor} as torch.save's pickle would hold it, with any size/stride."""
    def uni(s):
        b = s.encode()
        return b"X" + struct.pack("<I", len(b)) + b

    def tup(values):  # a tuple of 8-byte LONG1 integers
        return b"(" + b"".join(b"\x8a\x08" + struct.pack("<q", v) for v in values) + b"t"
    return (b"\x80\x02" + b"ccollections\nOrderedDict\n)R" + b"(" + uni("x") +
            b"ctorch._utils\n_rebuild_tensor_v2\n" + b"(" +
            b"(" + uni("storage") + b"ctorch\nFloatStorage\n" + uni("0") + uni("cpu") +
            b"\x8a\x08" + struct.pack("<q", numel) + b"tQ" +
            b"K\x00" + tup(size) + tup(stride) + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR" +
            b"u.")


def deep(n):
    return "[" * n + "]" * n


def regressions():
    # Crashes and unbounded allocations found while fuzzing (each also has a named test in
    # tests/<layer>/test_fuzz_regressions.cpp).
    # A stride-0 view of 2^40 elements over a 1-element storage: copied without bound.
    pkl = pickle_one_tensor([1 << 40], [0], 1)
    regress("torch_pickle", "expand_stride0.pkl", pkl)
    regress("torch_zip", "expand_stride0", torch_zip(pkl, {"0": b"\0\0\x80\x3f"}))
    # shortest_edge resize of a very elongated image: the long side overflowed int.
    regress("json_configs", "preprocess_shortest_edge_overflow",
            b'p{"image_processor_type": "ViTImageProcessor", "size": {"shortest_edge": 1048576}}')
    regress("json_configs", "preprocess_size_too_many_pixels",
            b'p{"size": {"height": 1048576, "width": 1048576}, "do_resize": true}')
    # Nesting past the depth limit (the unit tests use a million levels, which overflowed the
    # stack; 300 keeps the corpus small while still crossing the limit).
    regress("json_configs", "deep_config", b'c{"architectures": ["BlipForConditionalGeneration"], "vision_config": ' +
            deep(300).encode() + b"}")
    regress("json_configs", "deep_preprocessor", b'p{"image_mean": ' + deep(300).encode() + b"}")
    regress("json_configs", "deep_index", b'i{"weight_map": {"w": ' + deep(300).encode() + b"}}")
    header = ('{"w": {"dtype": "F32", "shape": ' + deep(300) + ', "data_offsets": [0, 4]}}').encode()
    regress("safetensors", "deep_shape", struct.pack("<Q", len(header)) + header + b"\0" * 4)
    a = FIX / "blip_tiny_a"
    regress("tokenizer_files", "deep_tokenizer_config", b"w" + (a / "vocab.txt").read_bytes() + SEP +
            b'{"model_max_length": ' + deep(300).encode() + b"}")
    # tokenizer.json with a non-string normalizer type: json::value() threw nlohmann's type_error.
    regress("tokenizer_files", "normalizer_type_not_string",
            b't{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}}, "normalizer": {"type": 5}}')


if __name__ == "__main__":
    seeds_safetensors()
    seeds_torch()
    seeds_json()
    seeds_tokenizer_files()
    seeds_tokenizer_text()
    seeds_florence2_answer()
    seeds_image()
    regressions()
