#pragma once
// Reader for Hugging Face's safetensors format: an 8-byte little-endian header length, a JSON
// object {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the
// tensor bytes. Every field is validated before any tensor byte is touched, so a truncated or
// lying file is an error with a one-line message, never a crash or an out-of-bounds read:
//   "<file>: tensor '<name>': <problem>"   or   "<file>: <problem with the header>".
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/tensor_view.h"
#include "util/mapped_file.h"

namespace vkcap::model {

// Limits that no real checkpoint comes near; they keep a hostile header from costing gigabytes.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100ull << 20;
inline constexpr size_t kSafetensorsMaxTensors = 1u << 20;

struct SafetensorsContents {
  std::vector<TensorView> tensors;              // sorted by name; bytes point into the input
  std::map<std::string, std::string> metadata;  // "__metadata__" (string values only)
};

// Validates and indexes a whole safetensors file held in memory. `file_label` names the file in
// error messages.
SafetensorsContents parse_safetensors(std::span<const uint8_t> file_bytes,
                                      const std::string& file_label);

// A memory-mapped safetensors file; the views stay valid as long as this object lives (moving it
// keeps them valid: the mapping does not move).
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  const std::vector<TensorView>& tensors() const { return contents_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return contents_.metadata; }
  // nullptr when absent.
  const TensorView* find(std::string_view name) const;
  // Drops the tensor's pages from memory once it has been copied out (see MappedFile::release).
  void release(const TensorView& view) const { file_.release(view.bytes); }

 private:
  MappedFile file_;
  SafetensorsContents contents_;
};

}  // namespace vkcap::model
