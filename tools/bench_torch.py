#!/usr/bin/python3
"""The issue's CPU reference, timed on this machine in the same run as `vkcap bench model`.

transformers is not packaged for Debian, but PyTorch is (python3-torch, 1.13). This script
builds BLIP-base or ViT-GPT2 from the same hub configs `vkcap bench model` uses (random weights,
fp32) and runs them the way transformers 4.40.2's `generate` does:

  - the encoder once per image (eager attention: matmul, softmax, matmul);
  - one decoder step per new token on the new token only, self-attention K/V cached across
    steps (past_key_values) and reordered by beam;
  - cross-attention K/V recomputed from the image tokens at every step (BLIP's text attention
    and GPT-2's cross-attention keep no cache for them), for every beam (the image tokens are
    repeat_interleave'd num_beams times before decoding);
  - beam search: log_softmax + running scores, top-k over beams × vocabulary, cache reorder.

Same protocol as `vkcap bench model`: a 640×480 image (already preprocessed to the model's
input size; preprocessing is outside both timings), exactly N new tokens (EOS masked), greedy
and beam widths, median of R runs after a warm-up, fp32, T threads (2 in the issue).

  /usr/bin/python3 tools/bench_torch.py assets/configs/blip-image-captioning-base --json
  /usr/bin/python3 tools/bench_torch.py assets/configs/vit-gpt2-image-captioning --beams 1 3
  /usr/bin/python3 tools/bench_torch.py --self-test     # the cached steps equal full recomputation

Florence-2 configs (assets/configs/florence-2-base, -large) run Microsoft's Florence-2 code path
instead (florence2_torch.py, florence2_generate.py; protocol in florence2_bench.py: 768×768,
`--task detailed-caption`, the card's 3 beams and no-repeat 3, 40 new tokens by default), and
`--check-florence2 tests/fixtures/florence2_tiny_a tests/fixtures/florence2_tiny_b` checks that
code against the golden fixtures made by Microsoft's code (florence2_check.py).

Needs python3-torch (apt-get install python3-torch; not part of scripts/setup.sh).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def attend(q, k, v, heads, mask=None):
    """Eager multi-head attention over [B, S, D] rows: softmax(q kᵀ / √d + mask) v."""
    B, Sq, D = q.shape
    d = D // heads
    q = q.view(B, Sq, heads, d).transpose(1, 2)
    k = k.view(B, k.shape[1], heads, d).transpose(1, 2)
    v = v.view(B, v.shape[1], heads, d).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
    if mask is not None:
        scores = scores + mask
    return torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(B, Sq, D)


# ------------------------------------------------------------------ encoders (pre-LN ViTs)

class VitLayer(nn.Module):
    def __init__(self, D, H, I, eps, fused_qkv):
        super().__init__()
        self.H, self.fused = H, fused_qkv
        self.ln1, self.ln2 = nn.LayerNorm(D, eps=eps), nn.LayerNorm(D, eps=eps)
        if fused_qkv:  # BLIP: one Linear(D, 3D)
            self.qkv = nn.Linear(D, 3 * D)
        else:          # HF ViT: query, key, value
            self.q, self.k, self.v = nn.Linear(D, D), nn.Linear(D, D), nn.Linear(D, D)
        self.proj, self.fc1, self.fc2 = nn.Linear(D, D), nn.Linear(D, I), nn.Linear(I, D)

    def forward(self, x):
        h = self.ln1(x)
        if self.fused:
            q, k, v = self.qkv(h).chunk(3, dim=-1)
        else:
            q, k, v = self.q(h), self.k(h), self.v(h)
        x = x + self.proj(attend(q, k, v, self.H))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Vit(nn.Module):
    def __init__(self, D, H, I, L, image, patch, eps, fused_qkv, pooler):
        super().__init__()
        self.patch = nn.Conv2d(3, D, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, D))
        self.pos = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, D))
        self.layers = nn.ModuleList([VitLayer(D, H, I, eps, fused_qkv) for _ in range(L)])
        self.final = nn.LayerNorm(D, eps=eps)
        self.pooler = nn.Linear(D, D) if pooler else None  # ViTModel's pooler (unused output)
        self.tokens = (image // patch) ** 2 + 1
        self.flops = L * (2 * self.tokens * (4 * D * D + 2 * D * I) + 4 * self.tokens ** 2 * D) \
            + 2 * (self.tokens - 1) * 3 * patch * patch * D

    def forward(self, pixels):
        x = self.patch(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for layer in self.layers:
            x = layer(x)
        x = self.final(x)
        if self.pooler is not None:
            torch.tanh(self.pooler(x[:, 0]))
        return x


# ------------------------------------------------------------------ decoders, one step at a time

class BlipTextLayer(nn.Module):
    """BERT post-LN block: causal self-attention (cached), cross-attention, MLP."""
    def __init__(self, T, E, H, I, eps):
        super().__init__()
        self.H = H
        self.q, self.k, self.v, self.o = nn.Linear(T, T), nn.Linear(T, T), nn.Linear(T, T), nn.Linear(T, T)
        self.cq, self.ck, self.cv, self.co = nn.Linear(T, T), nn.Linear(E, T), nn.Linear(E, T), nn.Linear(T, T)
        self.fc1, self.fc2 = nn.Linear(T, I), nn.Linear(I, T)
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(T, eps=eps) for _ in range(3))

    def forward(self, x, image, cache):
        k, v = self.k(x), self.v(x)
        if cache:
            k, v = torch.cat([cache[0], k], dim=1), torch.cat([cache[1], v], dim=1)
        a = self.ln1(x + self.o(attend(self.q(x), k, v, self.H, causal_mask(x.shape[1], k.shape[1]))))
        c = self.ln2(a + self.co(attend(self.cq(a), self.ck(image), self.cv(image), self.H)))
        return self.ln3(c + self.fc2(F.gelu(self.fc1(c)))), (k, v)


class BlipText(nn.Module):
    def __init__(self, tc, E):
        super().__init__()
        T, eps = tc["hidden_size"], tc.get("layer_norm_eps", 1e-12)
        self.word = nn.Embedding(tc["vocab_size"], T)
        self.pos = nn.Embedding(tc["max_position_embeddings"], T)
        self.ln = nn.LayerNorm(T, eps=eps)
        self.layers = nn.ModuleList([BlipTextLayer(T, E, tc["num_attention_heads"], tc["intermediate_size"], eps)
                                     for _ in range(tc["num_hidden_layers"])])
        self.transform, self.transform_ln = nn.Linear(T, T), nn.LayerNorm(T, eps=eps)
        self.decoder = nn.Linear(T, tc["vocab_size"])

    def forward(self, ids, start, image, caches):
        x = self.ln(self.word(ids) + self.pos(torch.arange(start, start + ids.shape[1]))[None])
        new = []
        for layer, cache in zip(self.layers, caches):
            x, kv = layer(x, image, cache)
            new.append(kv)
        x = x[:, -1]
        return self.decoder(self.transform_ln(F.gelu(self.transform(x)))), new


class Gpt2Layer(nn.Module):
    """GPT-2 pre-LN block with cross-attention (VisionEncoderDecoder's decoder)."""
    def __init__(self, C, H, I, eps):
        super().__init__()
        self.H, self.C = H, C
        self.ln1, self.lnx, self.ln2 = (nn.LayerNorm(C, eps=eps) for _ in range(3))
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.q_attn, self.x_attn, self.x_proj = nn.Linear(C, C), nn.Linear(C, 2 * C), nn.Linear(C, C)
        self.fc, self.fc_proj = nn.Linear(C, I), nn.Linear(I, C)

    def forward(self, x, image, cache):
        q, k, v = self.c_attn(self.ln1(x)).split(self.C, dim=-1)
        if cache:
            k, v = torch.cat([cache[0], k], dim=1), torch.cat([cache[1], v], dim=1)
        x = x + self.c_proj(attend(q, k, v, self.H, causal_mask(x.shape[1], k.shape[1])))
        xk, xv = self.x_attn(image).split(self.C, dim=-1)
        x = x + self.x_proj(attend(self.q_attn(self.lnx(x)), xk, xv, self.H))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh")), (k, v)


class Gpt2(nn.Module):
    def __init__(self, dc):
        super().__init__()
        C, eps = dc["n_embd"], dc.get("layer_norm_epsilon", 1e-5)
        self.wte, self.wpe = nn.Embedding(dc["vocab_size"], C), nn.Embedding(dc["n_positions"], C)
        self.layers = nn.ModuleList([Gpt2Layer(C, dc["n_head"], dc.get("n_inner") or 4 * C, eps)
                                     for _ in range(dc["n_layer"])])
        self.ln_f = nn.LayerNorm(C, eps=eps)

    def forward(self, ids, start, image, caches):
        x = self.wte(ids) + self.wpe(torch.arange(start, start + ids.shape[1]))[None]
        new = []
        for layer, cache in zip(self.layers, caches):
            x, kv = layer(x, image, cache)
            new.append(kv)
        return F.linear(self.ln_f(x[:, -1]), self.wte.weight), new  # LM head tied to wte


def causal_mask(queries, keys):
    """Additive mask for `queries` new positions at the end of `keys` positions."""
    if queries == 1:
        return None  # one new token sees every cached position
    m = torch.full((queries, keys), float("-inf")).triu(keys - queries + 1)
    return m[None, None]


# ------------------------------------------------------------------ models from hub configs

class Captioner:
    def __init__(self, config_dir):
        with open(os.path.join(config_dir, "config.json")) as f:
            cfg = json.load(f)
        self.name = os.path.basename(os.path.normpath(config_dir))
        if "vision_config" in cfg:  # BlipForConditionalGeneration
            vc, tc = cfg["vision_config"], cfg["text_config"]
            self.encoder = Vit(vc["hidden_size"], vc["num_attention_heads"], vc["intermediate_size"],
                               vc["num_hidden_layers"], vc["image_size"], vc["patch_size"],
                               vc.get("layer_norm_eps", 1e-5), fused_qkv=True, pooler=False)
            self.decoder = BlipText(tc, vc["hidden_size"])
            self.image_size, self.start, self.eos = vc["image_size"], tc["bos_token_id"], tc["sep_token_id"]
            self.architecture = "BlipForConditionalGeneration"
        else:  # VisionEncoderDecoderModel: ViT + GPT-2
            ec, dc = cfg["encoder"], cfg["decoder"]
            self.encoder = Vit(ec["hidden_size"], ec["num_attention_heads"], ec["intermediate_size"],
                               ec["num_hidden_layers"], ec["image_size"], ec["patch_size"],
                               ec.get("layer_norm_eps", 1e-12), fused_qkv=False, pooler=True)
            self.decoder = Gpt2(dc)
            self.image_size = ec["image_size"]
            self.start, self.eos = dc.get("decoder_start_token_id", dc["bos_token_id"]), dc["eos_token_id"]
            self.architecture = "VisionEncoderDecoderModel"
        for module in (self.encoder, self.decoder):
            module.eval()
            for p in module.parameters():  # transformers' init: N(0, 0.02) weights
                if p.dim() >= 2:
                    nn.init.normal_(p, std=0.02)
        self.parameters = sum(p.numel() for m in (self.encoder, self.decoder) for p in m.parameters())

    @torch.no_grad()
    def caption(self, pixels, new_tokens, beams):
        """Returns (encoder ms, decode ms, token ids of the best beam)."""
        t0 = time.perf_counter()
        image = self.encoder(pixels)
        t1 = time.perf_counter()
        image = image.repeat_interleave(beams, dim=0)
        tokens = torch.full((beams, 1), self.start, dtype=torch.long)
        scores = torch.full((beams,), -1e9)
        scores[0] = 0.0  # transformers starts every beam but the first at -1e9
        caches = [None] * len(self.decoder.layers)
        out = [[] for _ in range(beams)]
        for step in range(new_tokens):
            logits, caches = self.decoder(tokens, step, image, caches)
            logits[:, self.eos] = float("-inf")  # exactly new_tokens tokens
            if beams == 1:
                nxt = logits.argmax(-1)
                out[0].append(int(nxt[0]))
                tokens = nxt[:, None]
                continue
            logp = F.log_softmax(logits, dim=-1) + scores[:, None]
            top = logp.view(-1).topk(2 * beams)  # transformers keeps 2 × beams candidates
            beam, nxt = top.indices[:beams] // logits.shape[1], top.indices[:beams] % logits.shape[1]
            scores = top.values[:beams]
            caches = [(k.index_select(0, beam), v.index_select(0, beam)) for k, v in caches]
            out = [out[int(b)] + [int(t)] for b, t in zip(beam, nxt)]
            tokens = nxt[:, None]
        t2 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3, out[0]


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Captioner(args.config)
    # A 640×480 photo resized to the model's input (preprocessing is outside the timings).
    photo = torch.rand(1, 3, 480, 640)
    pixels = F.interpolate(photo, size=(model.image_size, model.image_size), mode="bicubic", align_corners=False)
    record = {"model": args.config, "engine": f"PyTorch {torch.__version__} CPU",
              "architecture": model.architecture, "parameters": model.parameters, "weights": "f32",
              "threads": args.threads, "new_tokens": args.new_tokens}
    for beams in args.beams:
        enc, dec, total = [], [], []
        for run in range(args.runs + 1):  # run 0 is the warm-up
            e, d, _ = model.caption(pixels, args.new_tokens, beams)
            if run:
                enc.append(e), dec.append(d), total.append(e + d)
        e_ms, d_ms = statistics.median(enc), statistics.median(dec)
        record["greedy" if beams == 1 else f"beam{beams}"] = {
            "encoder_ms": e_ms, "encoder_gflops": model.encoder.flops / (e_ms * 1e6), "cross_kv_ms": 0.0,
            "decode_ms_per_token": d_ms / args.new_tokens, "decode_weight_gbps": 0.0,
            "total_ms": statistics.median(total), "runs_total_ms": total}
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps(record))
        return
    print(f"{model.name} ({model.architecture}, {model.parameters / 1e6:.1f}M parameters, f32) on "
          f"{record['engine']}, {args.threads} threads; {args.new_tokens} new tokens, median of {args.runs} runs")
    print(f"{'search':8} {'encoder ms':>12} {'ms per token':>14} {'total s':>9}")
    for key in (k for k in record if k == "greedy" or k.startswith("beam")):
        s = record[key]
        print(f"{key:8} {s['encoder_ms']:12.1f} {s['decode_ms_per_token']:14.1f} {s['total_ms'] / 1000:9.2f}")
    print(f"peak RSS {record['peak_rss_mb']:.0f} MB")


def self_test():
    """Cached one-token steps must give the logits of recomputing the whole prefix (both decoders,
    greedy and a beam reorder), on small random configs."""
    torch.manual_seed(1)
    tiny = {
        "blip": {"vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                                   "num_attention_heads": 4, "image_size": 32, "patch_size": 8},
                 "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                                 "num_attention_heads": 4, "vocab_size": 50, "max_position_embeddings": 40,
                                 "bos_token_id": 48, "sep_token_id": 2}},
        "vit-gpt2": {"encoder": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                                 "num_attention_heads": 4, "image_size": 32, "patch_size": 8},
                     "decoder": {"n_embd": 32, "n_head": 4, "n_layer": 2, "n_positions": 40, "vocab_size": 50,
                                 "bos_token_id": 49, "eos_token_id": 49}},
    }
    import tempfile
    failures = 0
    for name, cfg in tiny.items():
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg, f)
            m = Captioner(d)
        with torch.no_grad():
            image = m.encoder(torch.rand(1, 3, 32, 32)).repeat(2, 1, 1)  # beams share one image
            ids = torch.randint(0, 48, (2, 7))
            full, _ = m.decoder(ids, 0, image, [None] * len(m.decoder.layers))
            caches = [None] * len(m.decoder.layers)
            for t in range(ids.shape[1]):
                step, caches = m.decoder(ids[:, t:t + 1], t, image, caches)
            ok = torch.allclose(full, step, atol=1e-5)
            # A beam reorder: swapping the rows' caches equals decoding the swapped prefixes.
            swapped = [(k.flip(0), v.flip(0)) for k, v in caches]
            nxt = torch.randint(0, 48, (2, 1))
            after, _ = m.decoder(nxt, ids.shape[1], image, swapped)
            want, _ = m.decoder(torch.cat([ids.flip(0), nxt], dim=1), 0, image, [None] * len(m.decoder.layers))
            ok = ok and torch.allclose(after, want, atol=1e-5)
        print(f"{name}: cached steps {'match' if ok else 'DIFFER from'} full recomputation")
        failures += not ok
    return failures


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", nargs="?", help="model or config directory (e.g. assets/configs/blip-image-captioning-base)")
    p.add_argument("--runs", type=int, default=3, help="timed runs after a warm-up (median reported)")
    p.add_argument("--new-tokens", type=int, help="tokens generated per run (EOS masked); default 20, Florence-2 40")
    p.add_argument("--beams", type=int, nargs="+", help="beam widths to time (1 = greedy); default 1 3, Florence-2 3")
    p.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    p.add_argument("--json", action="store_true", help="one JSON record")
    p.add_argument("--task", default="detailed-caption", help="Florence-2 task (vkcap's --task names or <TOKENS>)")
    p.add_argument("--no-repeat-ngram", type=int, help="Florence-2: no_repeat_ngram_size (default: generation_config's)")
    p.add_argument("--self-test", action="store_true", help="check the cached decoder steps and exit")
    p.add_argument("--check-florence2", nargs="+", metavar="FIXTURE",
                   help="check the Florence-2 reference against golden fixtures (tests/fixtures/florence2_tiny_a) and exit")
    args = p.parse_args()
    if args.self_test:
        sys.exit(1 if self_test() else 0)
    if args.check_florence2:
        import florence2_check
        sys.exit(1 if sum(florence2_check.check(d) for d in args.check_florence2) else 0)
    if not args.config:
        p.error("a config directory is required")
    import florence2_bench
    if florence2_bench.is_florence2(args.config):
        args.new_tokens, args.beams = args.new_tokens or 40, args.beams or [3]
        record = florence2_bench.bench(args)
        print(json.dumps(record)) if args.json else florence2_bench.print_report(record, args.runs)
        return
    args.new_tokens, args.beams = args.new_tokens or 20, args.beams or [1, 3]
    bench(args)


if __name__ == "__main__":
    main()
