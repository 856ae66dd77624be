#!/usr/bin/python3
"""Checks tools/blip_tiny.py against a golden BLIP fixture (default
tests/fixtures/blip_tiny_a of this repository): greedy ids exact, first-step logits within 1e-4."""
import json
import sys

import torch

import blip_tiny

d = sys.argv[1] if len(sys.argv) > 1 else f"{sys.path[0]}/../tests/fixtures/blip_tiny_a"
model = blip_tiny.load_pretrained(d)
exp = json.load(open(f"{d}/expected.json"))
tens = blip_tiny.load_safetensors(f"{d}/expected_tensors.safetensors")
ok = True
for i, im in enumerate(exp["images"]):
    px = tens[f"img{i}.pixel_values"][None]
    enc = model.vision_model(px)[0]
    enc_err = (enc - tens[f"img{i}.encoder_last_hidden_state"]).abs().max().item()
    max_new = im["greedy"]["kwargs"]["max_new_tokens"]
    seqs, first = model.greedy(px, max_length=1 + max_new, return_first_logits=True)
    lerr = (first[0] - tens[f"img{i}.first_step_logits"]).abs().max().item()
    same = seqs[0] == im["greedy"]["sequence"]
    ok &= same and lerr < 1e-4 and enc_err < 1e-4
    print(f"img{i}: encoder max_abs {enc_err:.2e}, first logits max_abs {lerr:.2e}, "
          f"greedy {seqs[0]} {'==' if same else '!='} {im['greedy']['sequence']}")
print("OK" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
