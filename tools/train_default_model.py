#!/usr/bin/python3
"""Trains vkcap's default captioning model (assets/models/vkcap-shapes) on tools/scenes.py.

Reproduce (CPU, 2 threads; see docs/default-model.md):
  /usr/bin/python3 tools/train_default_model.py --out /tmp/vkcap-shapes-run
The run is a pure function of --seed (weights init + batch order; training scenes are
scenes.make_scene(1, i) for i = 0, 1, 2, ...) and the step-based warmup+cosine schedule.
Every --save-every steps it writes a complete Hugging Face directory to OUT/latest/ and
logs validation exact-match on --val-scenes scenes of seed 998 (evaluation uses 999).
"""
import argparse
import json
import math
import os
import shutil
import time

# Idle OpenMP threads must sleep, not spin: the 2 cores are shared with compilers, and
# spinning workers made 2-thread steps 2-5x slower than 1-thread ones under load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F

import blip_tiny
import scenes

SPECIALS = ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, SEP = 0, 5
VOCAB = SPECIALS + scenes.WORDS
DEC, ENC = len(VOCAB), len(VOCAB) + 1  # added tokens, like BLIP's 30522/30523
WORD_ID = {w: i for i, w in enumerate(VOCAB)}
MEAN = [0.48145466, 0.4578275, 0.40821073]  # OpenAI CLIP, as BLIP
STD = [0.26862954, 0.26130258, 0.27577711]


def make_config(a):
    return {
        "architectures": ["BlipForConditionalGeneration"],
        "image_text_hidden_size": 256,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "label_smoothing": 0.0,
        "logit_scale_init_value": 2.6592,
        "model_type": "blip",
        "projection_dim": 512,
        "text_config": {
            "attention_probs_dropout_prob": 0.0, "bos_token_id": DEC,
            "encoder_hidden_size": a.width, "eos_token_id": 2, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.0, "hidden_size": a.text_width,
            "initializer_factor": 1.0, "initializer_range": 0.02,
            "intermediate_size": a.text_width * a.mlp_ratio, "is_decoder": True,
            "layer_norm_eps": 1e-12, "max_length": 20, "max_position_embeddings": 32,
            "model_type": "blip_text_model", "num_attention_heads": a.heads,
            "num_hidden_layers": a.text_layers, "pad_token_id": PAD, "projection_dim": 768,
            "sep_token_id": SEP, "use_cache": True, "vocab_size": len(VOCAB) + 2},
        "torch_dtype": "float32",
        "transformers_version": "4.40.2",
        "vision_config": {
            "attention_dropout": 0.0, "dropout": 0.0, "hidden_act": "gelu",
            "hidden_size": a.width, "image_size": scenes.IMAGE_SIZE,
            "initializer_factor": 1.0, "initializer_range": 1e-10,
            "intermediate_size": a.width * a.mlp_ratio, "layer_norm_eps": 1e-5,
            "model_type": "blip_vision_model", "num_attention_heads": a.heads,
            "num_channels": 3, "num_hidden_layers": a.vision_layers,
            "patch_size": a.patch, "projection_dim": 512},
    }


def encode(caption):
    return [WORD_ID[w] for w in caption.split()]


def decode(ids):
    return " ".join(VOCAB[i] for i in ids if i < len(VOCAB) and i not in (PAD, 1, 2, 3, 4, SEP, 6))


def pixel_values(images):
    """BlipImageProcessor for images already at model size: rescale 1/255, CLIP normalise."""
    x = np.stack([np.asarray(im, dtype=np.float32) for im in images]) * np.float32(1 / 255)
    x = (x - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(x.transpose(0, 3, 1, 2).copy())


def batch(seed, start, n, kind_weights=None):
    sc = [scenes.make_scene(seed, start + i, kind_weights) for i in range(n)]
    toks = [encode(s["caption"]) for s in sc]
    L = max(len(t) for t in toks) + 1
    inp = torch.full((n, L), PAD, dtype=torch.long)
    tgt = torch.full((n, L), -100, dtype=torch.long)
    for r, t in enumerate(toks):
        inp[r, :len(t) + 1] = torch.tensor([DEC] + t)
        tgt[r, :len(t) + 1] = torch.tensor(t + [SEP])
    return pixel_values([s["image"] for s in sc]), inp, tgt


def sincos_grid(grid, width, amplitude, base=100.0):
    """[1 + grid*grid, width] position table: CLS row zero, then for the patch at (row, col)
    width/4 sines and width/4 cosines of the row and the same of the column.

    Why: two-object captions hinge on "are they side by side or one over the other", a
    comparison of rows and columns. With this start, q.k between two patches already
    depends on their row and column offsets, so attention can find "same row" from step 0
    instead of first having to learn the grid from random vectors. Base 100 (not 10000)
    because the grid is only 8 wide: most frequencies of 10000 would be flat over it."""
    quarter = width // 4
    omega = base ** (-torch.arange(quarter, dtype=torch.float64) / quarter)
    pos = torch.arange(grid, dtype=torch.float64)
    def axis(values):
        angles = values[:, None] * omega[None, :]
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    rows = axis(pos.repeat_interleave(grid))  # patches are row-major
    cols = axis(pos.repeat(grid))
    table = torch.zeros(1 + grid * grid, width, dtype=torch.float64)
    table[1:, :4 * quarter] = torch.cat([rows, cols], dim=1)
    return (table * amplitude).float()


def init_weights(model, pos_init="random", pos_amplitude=0.5):
    for name, p in model.named_parameters():
        if name.endswith("position_embedding") and pos_init == "sincos":
            grid = math.isqrt(p.shape[1] - 1)
            with torch.no_grad():
                p.copy_(sincos_grid(grid, p.shape[2], pos_amplitude)[None])
        elif p.dim() >= 2 and "embedding" not in name:
            torch.nn.init.trunc_normal_(p, std=0.02)
        elif name.endswith("bias"):
            torch.nn.init.zeros_(p)
        elif "LayerNorm" in name or "layer_norm" in name or "layernorm" in name:
            torch.nn.init.ones_(p)
        else:
            torch.nn.init.trunc_normal_(p, std=0.02)


def write_model_dir(model, config, out):
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    sd = {k: v for k, v in model.state_dict().items()}
    blip_tiny.save_safetensors(sd, f"{tmp}/model.safetensors")
    dump = lambda name, obj: json.dump(obj, open(f"{tmp}/{name}", "w"), indent=2)
    dump("config.json", config)
    dump("generation_config.json", {"_from_model_config": True, "bos_token_id": DEC,
                                    "eos_token_id": 2, "pad_token_id": PAD,
                                    "transformers_version": "4.40.2"})
    S = config["vision_config"]["image_size"]
    dump("preprocessor_config.json", {
        "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": MEAN, "image_processor_type": "BlipImageProcessor", "image_std": STD,
        "processor_class": "BlipProcessor", "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"height": S, "width": S}})
    with open(f"{tmp}/vocab.txt", "w") as f:
        f.write("".join(w + "\n" for w in VOCAB))
    dump("added_tokens.json", {"[DEC]": DEC, "[ENC]": ENC})
    tok = lambda c: {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True}
    decoder = {str(i): tok(VOCAB[i]) for i in (0, 3, 4, 5, 6)}
    decoder[str(DEC)], decoder[str(ENC)] = tok("[DEC]"), tok("[ENC]")
    dump("tokenizer_config.json", {
        "added_tokens_decoder": decoder, "additional_special_tokens": ["[ENC]"],
        "bos_token": "[DEC]", "clean_up_tokenization_spaces": True, "cls_token": "[CLS]",
        "do_basic_tokenize": True, "do_lower_case": True, "mask_token": "[MASK]",
        "model_max_length": 512, "never_split": None, "pad_token": "[PAD]",
        "processor_class": "BlipProcessor", "sep_token": "[SEP]", "strip_accents": None,
        "tokenize_chinese_chars": True, "tokenizer_class": "BertTokenizer",
        "unk_token": "[UNK]"})
    plain = lambda c: {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                       "single_word": False}
    dump("special_tokens_map.json", {
        "additional_special_tokens": [plain("[ENC]")], "bos_token": plain("[DEC]"),
        "cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]",
        "sep_token": "[SEP]", "unk_token": "[UNK]"})
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)


@torch.no_grad()
def validate(model, seed, n, bs=100):
    """Exact-match rate over n scenes of the evaluation mix, overall and per scene kind."""
    model.eval()
    hits, totals = {}, {}
    for s0 in range(0, n, bs):
        sc = [scenes.make_scene(seed, s0 + i) for i in range(min(bs, n - s0))]
        seqs = model.greedy(pixel_values([s["image"] for s in sc]))
        for q, s in zip(seqs, sc):
            kind = s["meta"]["kind"]
            totals[kind] = totals.get(kind, 0) + 1
            hits[kind] = hits.get(kind, 0) + (decode(q) == s["caption"])
    model.train()
    return sum(hits.values()) / n, {k: round(hits[k] / totals[k], 4) for k in sorted(totals)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0, help="init / torch seed")
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--warmup", type=int, default=400)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=2e-5)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--text-width", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp-ratio", type=int, default=3)
    ap.add_argument("--patch", type=int, default=8)
    ap.add_argument("--vision-layers", type=int, default=6)
    ap.add_argument("--text-layers", type=int, default=3)
    ap.add_argument("--save-every", type=int, default=500)
    ap.add_argument("--val-scenes", type=int, default=300)
    ap.add_argument("--budget-minutes", type=float, default=0,
                    help="wall-time budget for the cosine schedule (0 = steps only)")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop early (0 = never)")
    # One thread: on the 2-vCPU host a second one gave no speed-up (0.74 vs 0.76 s a step), and
    # two 1-thread runs side by side each ran at half speed: the vector units are shared.
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pos-init", choices=["random", "sincos"], default="sincos",
                    help="vision position embeddings start random or as a 2-D sin-cos grid")
    ap.add_argument("--pos-amplitude", type=float, default=0.5)
    ap.add_argument("--train-mix", default="single=0.15,relation=0.6,count=0.25",
                    help="kind weights of training scenes (evaluation keeps scenes.KIND_WEIGHTS)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    config = make_config(a)
    model = blip_tiny.BlipForConditionalGeneration(config)
    init_weights(model, a.pos_init, a.pos_amplitude)
    train_mix = {k: float(v) for k, v in (kv.split("=") for kv in a.train_mix.split(","))}
    if set(train_mix) != set(scenes.KIND_WEIGHTS) or abs(sum(train_mix.values()) - 1) > 1e-9:
        raise SystemExit(f"--train-mix must weight {sorted(scenes.KIND_WEIGHTS)} and sum to 1")
    model.train()
    nparams = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embedding" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.98), foreach=False)
    log = open(f"{a.out}/train_log.jsonl", "a")
    print(f"params {nparams}, config {json.dumps(vars(a))}", flush=True)
    log.write(json.dumps({"event": "start", "params": nparams, "args": vars(a)}) + "\n")

    t0, loss_avg, next_scene, warm_minutes = time.time(), None, 0, 0.0
    for step in range(1, a.steps + 1):
        # Cosine progress follows steps, or wall time when --budget-minutes is set and the
        # shared machine is slower than planned (then the run ends early, annealed).
        elapsed = (time.time() - t0) / 60
        progress = (step - a.warmup) / max(1, a.steps - a.warmup)
        if a.budget_minutes:
            progress = max(progress, (elapsed - warm_minutes) / max(1e-6, a.budget_minutes - warm_minutes))
        progress = min(1.0, progress)
        lr = a.lr * step / a.warmup if step <= a.warmup else a.min_lr + 0.5 * (a.lr - a.min_lr) * (
            1 + math.cos(math.pi * progress))
        if step == a.warmup:
            warm_minutes = elapsed
        for g in opt.param_groups:
            g["lr"] = lr
        px, inp, tgt = batch(a.data_seed, next_scene, a.batch, train_mix)
        next_scene += a.batch
        logits = model(px, inp)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        elapsed = (time.time() - t0) / 60
        if step % 50 == 0:
            print(f"step {step} loss {loss_avg:.4f} lr {lr:.2e} {elapsed:.1f} min", flush=True)
        stop = (a.max_minutes and elapsed > a.max_minutes) or (step > a.warmup and progress >= 1.0)
        if step % a.save_every == 0 or step == a.steps or stop:
            acc, per_kind = validate(model, 998, a.val_scenes)
            write_model_dir(model, config, f"{a.out}/latest")
            rec = {"event": "val", "step": step, "progress": round(progress, 4), "minutes": round(elapsed, 2), "loss": loss_avg,
                   "lr": lr, "exact": acc, "exact_by_kind": per_kind, "scenes_seen": next_scene}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if stop:
            break
    log.write(json.dumps({"event": "end", "step": step, "minutes": (time.time() - t0) / 60}) + "\n")


if __name__ == "__main__":
    main()
