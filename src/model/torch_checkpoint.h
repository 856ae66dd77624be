#pragma once
// Reader for `pytorch_model.bin` as torch.save writes it (PyTorch ≥ 1.6 zip format): a zip of
// `<archive>/data.pkl` (the state dict, read by the restricted unpickler in pickle_reader.h —
// no code is ever executed), `<archive>/data/<key>` (one raw little-endian storage per key) and
// `<archive>/version`. Tensors that are contiguous views of their storage point into the
// mapped file; strided ones (e.g. a saved transpose) are copied into row-major order.
// Tensors sharing a storage share its bytes. The legacy pre-1.6 (non-zip) format is refused
// with a message saying how to convert it.
#include <deque>
#include <filesystem>
#include <string_view>
#include <vector>

#include "model/tensor_view.h"
#include "util/mapped_file.h"

namespace vkcap::model {

class TorchCheckpoint {
 public:
  explicit TorchCheckpoint(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  const std::vector<TensorView>& tensors() const { return tensors_; }  // sorted by name
  const TensorView* find(std::string_view name) const;                 // nullptr when absent
  // Drops a tensor's mapped pages once copied out; a no-op for tensors held in copies_.
  void release(const TensorView& view) const { file_.release(view.bytes); }

 private:
  MappedFile file_;
  std::deque<std::vector<uint8_t>> copies_;  // row-major copies of strided tensors
  std::vector<TensorView> tensors_;
};

}  // namespace vkcap::model
