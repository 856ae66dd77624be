#!/usr/bin/env bash
# vkcap against the issue's PyTorch reference in one run, on this machine:
#
#   tools/bench_compare.sh [OUT_DIR] [MODEL...]      (models: names under assets/configs/)
#
# For each model, back to back: `vkcap bench model` with fp32 and with fp16 weights, then
# tools/bench_torch.py (PyTorch fp32, 2 threads, transformers' generate loop), all with 20 new
# tokens, greedy and beam 3, median of 3 runs after a warm-up. The JSON records go to OUT_DIR
# (default docs/bench/compare) and tools/bench_table.py prints them as one table.
# Needs a build (build/vkcap) and Debian's python3-torch.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/bench/compare}
shift || true
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(blip-image-captioning-base vit-gpt2-image-captioning)
fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "bench_compare.sh: the PyTorch reference needs python3-torch (apt-get install python3-torch)" >&2
  exit 1
fi
mkdir -p "$out"
for model in "${models[@]}"; do
  config=$root/assets/configs/$model
  "$root/build/vkcap" bench model "$config" --runs 3 --beams 1 3 --json > "$out/$model-vkcap-f32.jsonl"
  "$root/build/vkcap" bench model "$config" --fp16 --runs 3 --beams 1 3 --json > "$out/$model-vkcap-f16.jsonl"
  /usr/bin/python3 "$root/tools/bench_torch.py" "$config" --runs 3 --beams 1 3 --threads 2 --json \
    > "$out/$model-torch.jsonl"
done
/usr/bin/python3 "$root/tools/bench_table.py" "$out"/*.jsonl
