#pragma once
// A restricted unpickler for the `data.pkl` that torch.save writes: it understands exactly what a
// state dict needs (an OrderedDict of tensors rebuilt by torch._utils._rebuild_tensor_v2 from
// persistent storage ids) and nothing that could run code. There is no object construction
// beyond a small allow-list of callables, which are interpreted here, never looked up.
//
// Refused with a one-line error naming the file:
//   - any opcode outside the list torch uses  → "<file>: pickle opcode 0x69 (INST) not allowed"
//   - any GLOBAL outside the allow-list       → "<file>: pickle global 'os.system' not allowed ..."
//   - stacks, memo tables or nesting beyond fixed limits, truncated data, malformed arguments.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/tensor_view.h"

namespace vkcap::model {

// Limits far above anything a state dict needs (a 1000-tensor checkpoint uses ~10k memo slots
// and nesting depth 4).
inline constexpr size_t kPickleMaxStack = 1u << 20;
inline constexpr size_t kPickleMaxObjects = 1u << 20;  // ~20 per tensor in a real file
inline constexpr size_t kPickleMaxMemo = 1u << 22;
inline constexpr int kPickleMaxDepth = 64;

// One entry of the `data/` folder: ('storage', torch.FloatStorage, key, location, numel).
struct TorchStorageRef {
  std::string key;
  DType dtype = DType::F32;
  int64_t numel = 0;  // in elements of dtype
};

// _rebuild_tensor_v2(storage, storage_offset, size, stride, ...): a strided view of a storage.
struct TorchTensorRef {
  TorchStorageRef storage;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

struct TorchStateEntry {
  std::string name;
  TorchTensorRef tensor;
};

// Runs the restricted unpickler over `pkl` and returns the tensors of the state dict it holds,
// in file order. The pickle's root must be a dict (usually an OrderedDict) of name → tensor;
// a dict with a nested "state_dict" or "model" dict of tensors is also accepted. Entries that
// are not tensors are skipped.
std::vector<TorchStateEntry> read_torch_state_dict_pickle(std::span<const uint8_t> pkl,
                                                          const std::string& file_label);

}  // namespace vkcap::model
