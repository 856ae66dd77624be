#!/usr/bin/env bash
# vkcap against the issue's PyTorch reference in one run, on this machine:
#
#   tools/bench_compare.sh [--large] [OUT_DIR] [MODEL...]      (models: names under assets/configs/)
#
# Default models: BLIP-base, ViT-GPT2 and Florence-2-base; --large adds Florence-2-large (about
# 4 GB per process, a few minutes per run). For each model, back to back: `vkcap bench model` with
# fp32 and with fp16 weights, then tools/bench_torch.py (PyTorch fp32, 2 threads, transformers'
# generate loop), median of 3 runs after a warm-up.
#   BLIP, ViT-GPT2: 20 new tokens, greedy and beam 3.
#   Florence-2: the issue's protocol on both sides: 768×768, the `detailed-caption` prompt, 40 new
#   tokens, beam 3 with no repeated 3-grams (the card's settings), <s> forced first.
# The JSON records go to OUT_DIR (default docs/bench/compare) and tools/bench_table.py prints them
# as one table. Needs a build (build/vkcap) and Debian's python3-torch.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
large=0
if [ "${1:-}" = "--large" ]; then
  large=1
  shift
fi
out=${1:-$root/docs/bench/compare}
shift || true
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(blip-image-captioning-base vit-gpt2-image-captioning florence-2-base)
fi
if [ $large -eq 1 ]; then
  models+=(florence-2-large)
fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "bench_compare.sh: the PyTorch reference needs python3-torch (apt-get install python3-torch)" >&2
  exit 1
fi
mkdir -p "$out"

# A config directory vkcap can load: Florence-2-large's ships no tokenizer files, and base and
# large share one, so large gets base's beside its own config (symlinks in a temporary directory
# of the same name, so the records still name the model).
configs=$(mktemp -d)
trap 'rm -rf "$configs"' EXIT
vkcap_config() {
  local model=$1 config=$root/assets/configs/$1
  if [[ $model != florence-2-* || -e $config/vocab.json ]]; then
    echo "$config"
    return
  fi
  mkdir -p "$configs/$model"
  for f in "$root"/assets/configs/florence-2-base/* "$config"/*; do
    ln -sf "$f" "$configs/$model/$(basename "$f")"
  done
  echo "$configs/$model"
}

for model in "${models[@]}"; do
  config=$root/assets/configs/$model
  if [[ $model == florence-2-* ]]; then
    protocol=(--runs 3 --beams 3 --new-tokens 40 --task detailed-caption --no-repeat-ngram 3)
    torch_protocol=("${protocol[@]}")
  else
    protocol=(--runs 3 --beams 1 3)
    torch_protocol=("${protocol[@]}")
  fi
  vk_config=$(vkcap_config "$model")
  "$root/build/vkcap" bench model "$vk_config" "${protocol[@]}" --json > "$out/$model-vkcap-f32.jsonl"
  "$root/build/vkcap" bench model "$vk_config" --fp16 "${protocol[@]}" --json > "$out/$model-vkcap-f16.jsonl"
  /usr/bin/python3 "$root/tools/bench_torch.py" "$config" "${torch_protocol[@]}" --threads 2 --json \
    > "$out/$model-torch.jsonl"
done
/usr/bin/python3 "$root/tools/bench_table.py" "$out"/*.jsonl
