#!/usr/bin/env bash
# Captions a dataset with a Slurm job array: each array task is one vkcap worker that takes its
# shard of the images (--shard auto reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) and
# writes its own resumable file. Submit, then merge when every task is done:
#   sbatch --array=0-15 tools/cluster/slurm-caption.sh /data/images /data/captions
#   vkcap merge /data/captions/all.jsonl /data/captions/part.*-of-16.jsonl --inputs /data/images -r \
#       --missing /data/captions/todo.txt
# A task that fails or is preempted is re-run with the same command (sbatch --array=7 ...): it
# resumes from its file. Images that fail for good are listed by `merge --missing`.
#SBATCH --job-name=vkcap
#SBATCH --cpus-per-task=8
#SBATCH --gres=gpu:1
#SBATCH --time=04:00:00
#SBATCH --requeue
set -euo pipefail
images=${1:?usage: slurm-caption.sh IMAGES_DIR OUTPUT_DIR [vkcap caption options...]}
out=${2:?usage: slurm-caption.sh IMAGES_DIR OUTPUT_DIR [vkcap caption options...]}
shift 2
mkdir -p "$out"
# A node-local pipeline cache: compiled kernels are reused by the node's later tasks.
export VKCAP_CACHE_DIR=${VKCAP_CACHE_DIR:-${TMPDIR:-/tmp}/vkcap-cache}
exec "${VKCAP:-vkcap}" caption --shard auto -r -b 8 -o "$out/part.jsonl" "$@" "$images"
