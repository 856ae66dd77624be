#include "model/weight_store.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "model/safetensors.h"
#include "model/torch_checkpoint.h"
#include "util/error.h"
#include "util/json_limits.h"
#include "util/json_parse.h"

namespace vkcap::model {

namespace fs = std::filesystem;

namespace {

// A shard named by an index must be a plain file name in the model directory: an index that
// says "../../secret" or "/etc/passwd" is refused, not followed.
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

WeightStore::WeightStore(const fs::path& dir) : dir_(dir) {
  if (!fs::is_directory(dir)) throw Error(dir.string() + ": not a directory");
  if (fs::exists(dir / "model.safetensors")) {
    source_ = "model.safetensors";
    safetensors_.push_back(std::make_unique<SafetensorsFile>(dir / source_));
    for (const auto& t : safetensors_.back()->tensors()) add(t, safetensors_.back()->path());
  } else if (fs::exists(dir / "model.safetensors.index.json")) {
    source_ = "model.safetensors.index.json";
    load_index(dir / source_, true);
  } else if (fs::exists(dir / "pytorch_model.bin")) {
    source_ = "pytorch_model.bin";
    torch_.push_back(std::make_unique<TorchCheckpoint>(dir / source_));
    for (const auto& t : torch_.back()->tensors()) add(t, torch_.back()->path());
  } else if (fs::exists(dir / "pytorch_model.bin.index.json")) {
    source_ = "pytorch_model.bin.index.json";
    load_index(dir / source_, false);
  } else {
    throw Error(dir.string() + ": no weights found (looked for model.safetensors, model.safetensors.index.json, "
                               "pytorch_model.bin, pytorch_model.bin.index.json)");
  }
}

WeightStore::~WeightStore() = default;
WeightStore::WeightStore(WeightStore&&) noexcept = default;
WeightStore& WeightStore::operator=(WeightStore&&) noexcept = default;

void WeightStore::add(const TensorView& view, const fs::path& file) {
  if (!index_.emplace(view.name, &view).second)
    throw Error(dir_.string() + ": weight '" + view.name + "' appears twice (again in " + file.filename().string() + ")");
}

void WeightStore::load_index(const fs::path& index_file, bool safetensors) {
  const std::string file = index_file.string();
  const std::string text = read_config_text(index_file);
  nlohmann::json index = parse_json_text(text, file);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    throw Error(file + ": expected an object with a 'weight_map' object");

  std::map<std::string, std::string> weight_map;
  std::set<std::string> shards;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) throw Error(file + ": weight_map['" + name + "']: expected a file name, got " + shard.dump());
    const auto shard_name = shard.get<std::string>();
    if (!is_plain_file_name(shard_name))
      throw Error(file + ": weight_map['" + name + "']: shard '" + shard_name + "' is not a file in the model directory");
    weight_map[name] = shard_name;
    shards.insert(shard_name);
  }
  if (shards.empty()) throw Error(file + ": weight_map is empty");

  std::map<std::string, std::set<std::string>> names_in_shard;
  for (const auto& shard : shards) {
    const fs::path path = dir_ / shard;
    // The error_code overload: a name longer than NAME_MAX makes the throwing one raise
    // filesystem_error instead of saying which shard is wrong.
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error(file + ": shard '" + shard + "' is missing from " + dir_.string());
    const std::vector<TensorView>* tensors;
    if (safetensors) {
      safetensors_.push_back(std::make_unique<SafetensorsFile>(path));
      tensors = &safetensors_.back()->tensors();
    } else {
      torch_.push_back(std::make_unique<TorchCheckpoint>(path));
      tensors = &torch_.back()->tensors();
    }
    for (const auto& t : *tensors) {
      add(t, path);
      names_in_shard[shard].insert(t.name);
    }
  }
  for (const auto& [name, shard] : weight_map)
    if (!names_in_shard[shard].count(name))
      throw Error(file + ": weight '" + name + "' is mapped to shard '" + shard + "', which does not contain it");
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, view] : index_) out.push_back(name);
  return out;
}

std::optional<TensorView> WeightStore::find(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return *it->second;
}

const TensorView& WeightStore::require(std::string_view name, std::span<const int64_t> expected_shape) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw Error(dir_.string() + ": missing weight '" + std::string(name) + "'");
  const TensorView& view = *it->second;
  if (!std::equal(view.shape.begin(), view.shape.end(), expected_shape.begin(), expected_shape.end()))
    throw Error(dir_.string() + ": weight '" + view.name + "' has shape " + shape_string(view.shape) + ", expected " +
                shape_string(expected_shape));
  if (!is_float_weight(view.dtype))
    throw Error(dir_.string() + ": weight '" + view.name + "' has dtype " + std::string(dtype_name(view.dtype)) +
                ", expected F32, F16 or BF16");
  return view;
}

void WeightStore::release(const TensorView& view) const {
  for (const auto& f : safetensors_) f->release(view);
  for (const auto& f : torch_) f->release(view);
}

}  // namespace vkcap::model
