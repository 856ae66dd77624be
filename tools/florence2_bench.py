#!/usr/bin/python3
"""The PyTorch reference timing for Florence-2 (issue protocol): random weights from a hub config
(assets/configs/florence-2-base or -large), a 640×480 photo already resized to the processor's
768×768 (preprocessing is outside the timings), a task prompt (default `detailed-caption`), the
checkpoint's generation settings (3 beams, no repeated 3-grams, early stopping) with exactly N new
tokens (transformers' min_new_tokens = max_new_tokens: EOS masked, then forced at the last step),
median of R runs after a warm-up. Stages timed apart, as `vkcap bench model` reports them: the
vision tower with the projector, the BART encoder, and decoding (whose first step also computes
the cross-attention K/V of every beam, as transformers does).
"""
import json
import os
import resource
import statistics

import torch
import torch.nn.functional as F

import florence2_generate as fg
import florence2_prompt
import florence2_torch


def is_florence2(config_dir):
    cfg = florence2_torch.read_config(config_dir)
    return cfg.get("model_type") == "florence2" or "dim_embed" in cfg.get("vision_config", {})


def tokenizer_dir(config_dir):
    """Florence-2 base and large share one tokenizer; a config directory without one (large's)
    borrows base's from beside it."""
    if os.path.exists(os.path.join(config_dir, "vocab.json")):
        return config_dir
    sibling = os.path.join(os.path.dirname(os.path.normpath(config_dir)), "florence-2-base")
    if os.path.exists(os.path.join(sibling, "vocab.json")):
        return sibling
    raise SystemExit(f"{config_dir}: no vocab.json/merges.txt here or in {sibling}")


def generation_config(config_dir):
    path = os.path.join(config_dir, "generation_config.json")
    if not os.path.exists(path):
        return florence2_torch.read_config(config_dir).get("text_config", {})
    with open(path) as f:
        return json.load(f)


def stage_record(runs, new_tokens, vision_flops, text_flops):
    vision, text = statistics.median(r["vision_ms"] for r in runs), statistics.median(r["text_encoder_ms"] for r in runs)
    encoder = statistics.median(r["vision_ms"] + r["text_encoder_ms"] for r in runs)
    totals = [r["vision_ms"] + r["text_encoder_ms"] + r["decode_ms"] for r in runs]
    return {"encoder_ms": encoder, "encoder_gflops": (vision_flops + text_flops) / (encoder * 1e6),
            "cross_kv_ms": 0.0, "decode_ms_per_token": statistics.median(r["decode_ms"] for r in runs) / new_tokens,
            "decode_weight_gbps": 0.0, "total_ms": statistics.median(totals), "runs_total_ms": totals,
            "vision_ms": vision, "vision_gflops": vision_flops / (vision * 1e6),
            "text_encoder_ms": text, "text_encoder_gflops": text_flops / (text * 1e6)}


def bench(args):
    """One JSON-able record in the format of bench_torch.py's BLIP/ViT-GPT2 records, plus the
    Florence-2 stage fields `vkcap bench model` also writes."""
    torch.set_num_threads(args.threads)
    model = florence2_torch.random_model(args.config)
    with open(os.path.join(args.config, "preprocessor_config.json")) as f:
        size = json.load(f)["size"]
    prompt = florence2_prompt.prompt_ids(tokenizer_dir(args.config), args.task)
    torch.manual_seed(0)
    photo = torch.rand(1, 3, 480, 640)
    pixels = F.interpolate(photo, size=(size["height"], size["width"]), mode="bicubic", align_corners=False)
    vision_flops, rows = model.vision_flops((size["height"], size["width"]))
    text_flops = model.text.encoder_flops(rows + len(prompt))
    card = generation_config(args.config)
    no_repeat = card.get("no_repeat_ngram_size", 0) if args.no_repeat_ngram is None else args.no_repeat_ngram
    record = {"model": args.config, "engine": f"PyTorch {torch.__version__} CPU",
              "architecture": "Florence2ForConditionalGeneration",
              "parameters": sum(p.numel() for p in model.parameters()), "weights": "f32",
              "threads": args.threads, "new_tokens": args.new_tokens, "task": args.task,
              "prompt_tokens": len(prompt), "no_repeat_ngram_size": no_repeat,
              "image_size": [size["width"], size["height"]], "cross_kv": "first decode step"}
    for beams in args.beams:
        settings = fg.Settings.card(card, num_beams=beams, no_repeat_ngram_size=no_repeat,
                                    max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens)
        runs = [fg.caption(model, pixels, prompt, settings) for _ in range(args.runs + 1)][1:]  # run 0: warm-up
        record["greedy" if beams == 1 else f"beam{beams}"] = stage_record(runs, args.new_tokens, vision_flops, text_flops)
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record["load_average"] = os.getloadavg()[0]  # two busy threads on a shared host stall each other
    return record


def print_report(record, runs):
    print(f"{record['model']} ({record['architecture']}, {record['parameters'] / 1e6:.1f}M parameters, f32) on "
          f"{record['engine']}, {record['threads']} threads; task {record['task']} ({record['prompt_tokens']} prompt "
          f"ids), no-repeat {record['no_repeat_ngram_size']}, {record['new_tokens']} new tokens, median of {runs} runs")
    print(f"{'search':8} {'vision ms':>10} {'GFLOP/s':>8} {'BART enc ms':>12} {'ms per token':>13} {'total s':>8}")
    for key in (k for k in record if k == "greedy" or k.startswith("beam")):
        s = record[key]
        print(f"{key:8} {s['vision_ms']:10.1f} {s['vision_gflops']:8.1f} {s['text_encoder_ms']:12.1f} "
              f"{s['decode_ms_per_token']:13.1f} {s['total_ms'] / 1000:8.2f}")
    print(f"peak RSS {record['peak_rss_mb']:.0f} MB; load average {record['load_average']:.1f} at the end")
