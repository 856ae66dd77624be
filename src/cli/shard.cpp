#include "cli/shard.h"

#include <cstdlib>
#include <filesystem>

#include "util/error.h"

namespace vkcap::cli {

namespace {

// A whole non-negative number, or nullopt.
std::optional<int> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return {};
  return std::stoi(text);
}

Shard checked(int index, int count, const std::string& where) {
  if (count < 1) throw InvalidArgumentError(where + ": the shard count must be at least 1");
  if (index < 0 || index >= count)
    throw InvalidArgumentError(where + ": shard " + std::to_string(index) + " is outside 0.." +
                               std::to_string(count - 1) + " (K is 0-based)");
  return {index, count};
}

int env_count(const EnvLookup& env, const std::string& name) {
  const std::string value = env(name);
  const std::optional<int> n = parse_count(value);
  if (!n) throw InvalidArgumentError("--shard auto: " + name + "='" + value + "' is not a whole number");
  return *n;
}

Shard from_slurm(const EnvLookup& env) {
  const int id = env_count(env, "SLURM_ARRAY_TASK_ID");
  if (!env("SLURM_ARRAY_TASK_COUNT").empty())
    return checked(id - (env("SLURM_ARRAY_TASK_MIN").empty() ? 0 : env_count(env, "SLURM_ARRAY_TASK_MIN")),
                   env_count(env, "SLURM_ARRAY_TASK_COUNT"), "--shard auto (Slurm)");
  if (env("SLURM_ARRAY_TASK_MIN").empty() || env("SLURM_ARRAY_TASK_MAX").empty())
    throw InvalidArgumentError(
        "--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
        "SLURM_ARRAY_TASK_MIN/MAX say how many tasks the array has");
  const int min = env_count(env, "SLURM_ARRAY_TASK_MIN"), max = env_count(env, "SLURM_ARRAY_TASK_MAX");
  return checked(id - min, max - min + 1, "--shard auto (Slurm)");
}

Shard from_kubernetes(const EnvLookup& env, std::optional<int> shards) {
  const int index = env_count(env, "JOB_COMPLETION_INDEX");
  if (!shards && !env("VKCAP_SHARDS").empty()) shards = env_count(env, "VKCAP_SHARDS");
  if (!shards)
    throw InvalidArgumentError(
        "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the number of shards is not; "
        "pass --shards N (the Job's completions) or set VKCAP_SHARDS");
  return checked(index, *shards, "--shard auto (Kubernetes)");
}

}  // namespace

std::string process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? value : "";
}

Shard parse_shard(const std::string& text, std::optional<int> shards, const EnvLookup& env) {
  if (text == "auto") {
    if (!env("SLURM_ARRAY_TASK_ID").empty()) return from_slurm(env);
    if (!env("JOB_COMPLETION_INDEX").empty()) return from_kubernetes(env, shards);
    throw InvalidArgumentError(
        "--shard auto: no scheduler index found (SLURM_ARRAY_TASK_ID for Slurm job arrays, "
        "JOB_COMPLETION_INDEX for Kubernetes Indexed Jobs); give --shard K/N instead");
  }
  const size_t slash = text.find('/');
  const std::optional<int> k = slash == std::string::npos ? std::nullopt : parse_count(text.substr(0, slash));
  const std::optional<int> n = slash == std::string::npos ? std::nullopt : parse_count(text.substr(slash + 1));
  if (!k || !n) throw InvalidArgumentError("--shard '" + text + "': expected K/N (e.g. 0/4) or auto");
  if (shards && *shards != *n)
    throw InvalidArgumentError("--shard " + text + " and --shards " + std::to_string(*shards) + " disagree");
  return checked(*k, *n, "--shard " + text);
}

uint64_t path_hash(const std::string& canonical_path) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : canonical_path) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool in_shard(const std::string& canonical_path, const Shard& shard) {
  return path_hash(canonical_path) % uint64_t(shard.count) == uint64_t(shard.index);
}

std::string shard_output_path(const std::string& output, const Shard& shard) {
  const std::string tag = std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
  if (const size_t at = output.find("{shard}"); at != std::string::npos)
    return output.substr(0, at) + tag + output.substr(at + 7);
  const std::filesystem::path path(output);
  const std::filesystem::path name = path.stem().string() + "." + tag + path.extension().string();
  return (path.parent_path() / name).string();
}

}  // namespace vkcap::cli
