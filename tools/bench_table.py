#!/usr/bin/env python3
"""Turns `vkcap bench kernels --json` (and `vkcap bench model --json` records) into the Markdown
tables of docs/performance.md, so the published numbers are exactly what the command printed.

  build/vkcap bench kernels --json > kernels.jsonl
  build/vkcap bench model assets/configs/blip-image-captioning-base --fp16 --json > model.jsonl
  /usr/bin/python3 tools/bench_torch.py assets/configs/blip-image-captioning-base --json > torch.jsonl
  tools/bench_table.py kernels.jsonl model.jsonl torch.jsonl
Pure python3; no third-party modules.
"""
import json
import sys


def shape_text(shape):
    if isinstance(shape, dict):
        return " ".join(f"{k}={v}" for k, v in shape.items())
    return str(shape)


def kernels_table(records):
    out = ["| kernel | shape | dtype | µs | GFLOP/s | GB/s | OpenBLAS GFLOP/s | vs OpenBLAS |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in records:
        blas = r.get("blas_gflops")
        ratio = f"{r['gflops'] / blas:.2f}×" if blas else ""
        out.append(f"| {r['kernel']} | {shape_text(r['shape'])} | {r['dtype']} | {r['us']:.0f} | {r['gflops']:.1f} "
                   f"| {r['gbps']:.1f} | {f'{blas:.0f}' if blas else ''} | {ratio} |")
    return "\n".join(out)


def model_table(records):
    out = ["| model | weights | search | encoder ms | encoder GFLOP/s | cross-K/V ms | ms/token | weights GB/s "
           "| total s | peak RSS MB |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in records:
        name = r["model"].rstrip("/").split("/")[-1]
        if r.get("engine"):  # tools/bench_torch.py: the PyTorch reference
            name += f" ({r['engine'].split(' CPU')[0]}, {r.get('threads', '?')} threads)"
        for key in sorted((k for k in r if k == "greedy" or k.startswith("beam")), key=lambda k: (k != "greedy", k)):
            s = r[key]
            # The reference computes cross-attention K/V inside the decode steps (BLIP, ViT-GPT2:
            # every step; Florence-2: the first) and streams its weights through BLAS: neither
            # column applies to it.
            cross = f"in {r.get('cross_kv', 'each step')}" if r.get("engine") else f"{s['cross_kv_ms']:.0f}"
            gbps = "—" if r.get("engine") else f"{s['decode_weight_gbps']:.2f}"
            out.append(f"| {name} | {r['weights']} | {key} | {s['encoder_ms']:.0f} | {s['encoder_gflops']:.1f} "
                       f"| {cross} | {s['decode_ms_per_token']:.1f} | {gbps} "
                       f"| {s['total_ms'] / 1000:.2f} | {r['peak_rss_mb']:.0f} |")
    return "\n".join(out)


def stages_table(records):
    """Florence-2's image stage split into the vision tower (with the projector) and the BART
    encoder, as `vkcap bench model` and tools/bench_torch.py both record it."""
    out = ["| model | engine | weights | search | vision ms | vision GFLOP/s | BART encoder ms | BART encoder GFLOP/s "
           "| ms/token | total s |",
           "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in records:
        engine = f"{r['engine'].split(' CPU')[0]}, {r.get('threads', '?')} threads" if r.get("engine") else "vkcap"
        for key in sorted((k for k in r if (k == "greedy" or k.startswith("beam")) and "vision_ms" in r[k]),
                          key=lambda k: (k != "greedy", k)):
            s = r[key]
            out.append(f"| {r['model'].rstrip('/').split('/')[-1]} | {engine} | {r['weights']} | {key} "
                       f"| {s['vision_ms']:.0f} | {s['vision_gflops']:.1f} | {s['text_encoder_ms']:.0f} "
                       f"| {s['text_encoder_gflops']:.1f} | {s['decode_ms_per_token']:.1f} | {s['total_ms'] / 1000:.2f} |")
    return "\n".join(out) if len(out) > 2 else ""


def main():
    kernel_records, model_records, notes = [], [], []
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                if r.get("kernel") == "triad":
                    notes.append(f"Device: {r['device']} ({r['driver']}); memory bandwidth (triad): {r['gbps']:.1f} GB/s")
                elif "kernel" in r:
                    kernel_records.append(r)
                elif "architecture" in r:  # vkcap bench model, or tools/bench_torch.py
                    model_records.append(r)
    for n in notes:
        print(n + "\n")
    if kernel_records:
        print(kernels_table(kernel_records) + "\n")
    if model_records:
        print(model_table(model_records))
        stages = stages_table(model_records)
        if stages:
            print("\n" + stages)
        for r in model_records:
            if r.get("batches"):
                base = r["batches"][0]["images_per_s"]
                cells = ", ".join(f"batch {b['batch']}: {b['images_per_s']:.3f} images/s ({b['images_per_s'] / base:.2f}×)"
                                  for b in r["batches"])
                print(f"\n{r['model'].rstrip('/').split('/')[-1]} ({r['weights']}): {cells}")
        for r in (r for r in model_records if "load_ms" in r):  # vkcap's own records
            print(f"\n{r['model'].rstrip('/').split('/')[-1]} ({r['weights']}): load {r['load_ms']:.0f} ms, "
                  f"device memory {r['device_memory_mb']:.0f} MB, fixed cost per token "
                  f"{r.get('submit_roundtrip_ms', 0):.3f} ms")


if __name__ == "__main__":
    main()
