#pragma once
// `--shard K/N`: one of N workers over the same inputs (a Slurm array task, a Kubernetes
// Indexed Job pod, a machine of a cluster) takes the images whose canonical path hashes into
// shard K. Stable across machines, listing order and path spelling, so N workers cover every
// image exactly once without talking to each other.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vkcap::cli {

struct Shard {
  int index = 0;  // K, 0-based
  int count = 1;  // N
};

// Reads one environment variable (empty when unset); the CLI passes getenv, tests a table.
using EnvLookup = std::function<std::string(const std::string& name)>;
std::string process_env(const std::string& name);

// "K/N" (0 ≤ K < N), or "auto": the scheduler's index — Slurm job arrays
// (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, else SLURM_ARRAY_TASK_MIN/MAX), Kubernetes
// Indexed Jobs (JOB_COMPLETION_INDEX; N from `shards` or VKCAP_SHARDS). Throws
// InvalidArgumentError (a usage error) for anything else, naming what is missing.
Shard parse_shard(const std::string& text, std::optional<int> shards, const EnvLookup& env = process_env);

// FNV-1a (64-bit) of the canonical path's bytes: the same on every machine and every run.
uint64_t path_hash(const std::string& canonical_path);
bool in_shard(const std::string& canonical_path, const Shard& shard);

// Where shard K of N writes `-o FILE`: FILE with "{shard}" replaced by "K-of-N", else with
// ".K-of-N" before its extension (captions.jsonl → captions.2-of-8.jsonl).
std::string shard_output_path(const std::string& output, const Shard& shard);

}  // namespace vkcap::cli
