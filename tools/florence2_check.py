#!/usr/bin/python3
"""Checks the PyTorch Florence-2 reference (florence2_torch + florence2_generate) against a golden
fixture made by Microsoft's code on transformers 4.40.2 (tests/fixtures/florence2_tiny_{a,b}):
for each image, pixel values, vision tower output and projected image features; for each task,
the prompt ids, the BART encoder output, the first-step logits, and the greedy and "card" (the
checkpoint's beam settings) token ids and beam score. The goldens store first16 / min / max /
sum / sum_abs of each tensor; the tolerances are the fixture's own (expected.json "tolerances").

  /usr/bin/python3 tools/bench_torch.py --check-florence2 tests/fixtures/florence2_tiny_a
"""
import json
import os
import re

import numpy as np
import torch
from PIL import Image

import florence2_generate as fg
import florence2_prompt
import florence2_torch


def pixel_values(path, pre):
    """CLIPImageProcessor as Florence-2 configures it: RGB, Pillow resize to `size` (no crop),
    rescale, normalize — in float32 like the processor."""
    image = Image.open(path).convert("RGB").resize((pre["size"]["width"], pre["size"]["height"]),
                                                   resample=pre.get("resample", 3))
    x = (np.asarray(image) * pre["rescale_factor"]).astype(np.float32)
    x = (x - np.array(pre["image_mean"], np.float32)) / np.array(pre["image_std"], np.float32)
    return torch.from_numpy(x.transpose(2, 0, 1).copy())[None]


class Report:
    def __init__(self):
        self.failures, self.worst = 0, {}

    def stats(self, what, got, want, max_abs, rel_sum=1e-4):
        """first16/min/max within max_abs; sum and sum_abs within rel_sum × max(1, |want|)."""
        flat = got.detach().reshape(-1).double()
        err = max([abs(a - b) for a, b in zip(flat[:16].tolist(), want["first16"])] +
                  [abs(flat.min().item() - want["min"]), abs(flat.max().item() - want["max"])])
        sums = max(abs(flat.sum().item() - want["sum"]) / max(1, abs(want["sum"])),
                   abs(flat.abs().sum().item() - want["sum_abs"]) / max(1, abs(want["sum_abs"])))
        ok = list(got.shape) == want["shape"] and err <= max_abs and sums <= rel_sum
        self.note(what, ok, f"max error {err:.2e} (tolerance {max_abs:.1e}), sums {sums:.1e} relative")
        self.worst[what.split(" ")[0]] = max(self.worst.get(what.split(" ")[0], 0.0), err)

    def equal(self, what, got, want):
        self.note(what, got == want, "exact" if got == want else f"{got} != {want}")

    def note(self, what, ok, detail):
        self.failures += not ok
        print(f"  {'ok  ' if ok else 'FAIL'} {what}: {detail}")


def check_task(report, model, pixels, fixture, task, want, expected):
    ids = florence2_prompt.prompt_ids(fixture, task)
    report.equal(f"prompt {task}", ids, want["input_ids"])
    tol, notes = expected["tolerances"], expected["generation_notes"]
    new_tokens = int(re.search(r"max_new_tokens=(\d+)", notes["card"]).group(1))
    generation_config = json.load(open(os.path.join(fixture, "generation_config.json")))
    greedy = fg.caption(model, pixels, ids, fg.Settings.card(generation_config, num_beams=1, no_repeat_ngram_size=0,
                                                             max_new_tokens=new_tokens))
    report.stats(f"encoder {task}", greedy["memory"], want["encoder_last_hidden_state"],
                 tol["encoder_last_hidden_state"]["max_abs"], tol["encoder_last_hidden_state"]["rel_sum"])
    logits, wl = greedy["first_logits"], want["first_step"]["logits"]
    report.stats(f"logits {task}", logits, wl, tol["decoder_logits"]["max_abs"], tol["decoder_logits"]["rel_sum"])
    report.equal(f"argmax/top5 {task}", logits.topk(5).indices.tolist(), wl["top5_ids"])
    report.equal(f"greedy {task}", greedy["sequence"], want["greedy"]["sequence"])
    card = fg.caption(model, pixels, ids, fg.Settings.card(generation_config, max_new_tokens=new_tokens))
    report.equal(f"card {task}", card["sequence"], want["card"]["sequence"])
    score_err = abs(card["score"] - want["card"]["sequence_score"])
    report.note(f"card score {task}", score_err <= 1e-4, f"{score_err:.1e} off")


def check(fixture):
    """Prints one line per comparison; returns the number of failures."""
    expected = json.load(open(os.path.join(fixture, "expected.json")))
    pre = json.load(open(os.path.join(fixture, "preprocessor_config.json")))
    tol = expected["tolerances"]
    model = florence2_torch.load_pretrained(fixture)
    report = Report()
    for image in expected["images"]:
        print(f"{os.path.basename(fixture)} {image['file']}")
        pixels = pixel_values(os.path.join(fixture, image["file"]), pre)
        report.stats("pixels", pixels, image["pixel_values"], tol["pixel_values"]["max_abs"])
        with torch.no_grad():
            tower, size = model.vision_tower(pixels)
            features = model.project(tower, size)
        want = image["vision_tower_output"]
        scale = max(abs(want["min"]), abs(want["max"]))
        report.stats("vision", tower, want, tol["vision_tower_output"]["max_abs_relative_to_max_abs"] * scale)
        report.stats("features", features, image["image_features"], tol["image_features"]["max_abs"])
        for task, want in image["tasks"].items():
            check_task(report, model, pixels, fixture, task, want, expected)
    print(f"{os.path.basename(fixture)}: " + ", ".join(f"{k} max error {v:.2e}" for k, v in report.worst.items())
          + f"; {report.failures} failure(s)")
    return report.failures
