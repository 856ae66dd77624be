#pragma once
// All weights of a Hugging Face model directory, by name, whatever file format holds them:
// `model.safetensors`, a sharded `model.safetensors.index.json`, `pytorch_model.bin`, or a sharded
// `pytorch_model.bin.index.json` — in that order of preference (safetensors first: it needs no
// unpickling and maps without copies).
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/tensor_view.h"

namespace vkcap::model {

class SafetensorsFile;
class TorchCheckpoint;

class WeightStore {
 public:
  // Throws vkcap::Error naming the directory when it holds no weights, or naming the file when
  // one is malformed.
  explicit WeightStore(const std::filesystem::path& dir);
  ~WeightStore();
  WeightStore(WeightStore&&) noexcept;
  WeightStore& operator=(WeightStore&&) noexcept;

  const std::filesystem::path& dir() const { return dir_; }
  // The file the weights came from, e.g. "model.safetensors".
  const std::string& source() const { return source_; }
  size_t size() const { return index_.size(); }
  std::vector<std::string> names() const;  // sorted

  std::optional<TensorView> find(std::string_view name) const;
  // The tensor, which must be a float weight (F32/F16/BF16) of exactly `expected_shape`:
  //   "<dir>: missing weight '<name>'"
  //   "<dir>: weight '<name>' has shape [..], expected [..]"
  const TensorView& require(std::string_view name, std::span<const int64_t> expected_shape) const;
  const TensorView& require(std::string_view name, std::initializer_list<int64_t> expected_shape) const {
    return require(name, std::span<const int64_t>(expected_shape.begin(), expected_shape.size()));
  }
  // Once a tensor is on the device its file pages can leave memory: peak RSS stays near the
  // device copy instead of device copy + whole checkpoint.
  void release(const TensorView& view) const;

 private:
  void add(const TensorView& view, const std::filesystem::path& file);
  void load_index(const std::filesystem::path& index_file, bool safetensors);

  std::filesystem::path dir_;
  std::string source_;
  std::vector<std::unique_ptr<SafetensorsFile>> safetensors_;
  std::vector<std::unique_ptr<TorchCheckpoint>> torch_;
  std::map<std::string, const TensorView*, std::less<>> index_;
};

}  // namespace vkcap::model
