#pragma once
// Shape and operand checks shared by the ops.h wrappers (internal to src/kernels).
#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/buffer_ref.h"
#include "util/error.h"
#include "vk/context.h"
#include "vk/kernel.h"

namespace vkcap::kernels::ops_detail {

constexpr uint32_t kWorkgroup = 64;  // lavapipe (docs/lavapipe.md): 8–64 equal, 128+ slower; fine on GPUs
constexpr uint32_t kMaxGroups = 65535;  // the minimum maxComputeWorkGroupCount[0..1]

[[noreturn]] inline void fail(const std::string& op, const std::string& problem) {
  throw Error("kernels/ops " + op + ": " + problem);
}

// A dimension that must be in [lo, 2^32).
inline uint32_t dim(const std::string& op, const char* name, int64_t value, int64_t lo = 1) {
  if (value < lo || value > int64_t(UINT32_MAX))
    fail(op, std::string(name) + " = " + std::to_string(value) + " is out of range (must be >= " +
                 std::to_string(lo) + ")");
  return static_cast<uint32_t>(value);
}

// The operand must hold `count` elements of `bytes` bytes from its offset; returns the offset
// as the uint32 element index the shaders take.
inline uint32_t operand(const std::string& op, const char* name, const BufferRef& ref, uint64_t count,
                        uint64_t bytes = 4) {
  if (!ref.buffer || !*ref.buffer) fail(op, std::string(name) + " is not set");
  uint64_t elements = ref.buffer->size() / bytes;
  if (ref.offset > elements || elements - ref.offset < count)
    fail(op, std::string(name) + " needs " + std::to_string(count) + " elements from offset " +
                 std::to_string(ref.offset) + " but its buffer holds " + std::to_string(elements));
  if (ref.offset + count > UINT32_MAX) fail(op, std::string(name) + " extends beyond 2^32 elements");
  return static_cast<uint32_t>(ref.offset);
}

inline const vk::Kernel& kernel(vk::Recorder& rec, const char* shader, uint32_t buffers, uint32_t push_bytes) {
  return rec.context().kernel({shader, buffers, push_bytes, {kWorkgroup}});
}

// One workgroup per row, rows spread over x and y (shaders use y·numGroups.x + x).
struct Grid {
  uint32_t x = 1, y = 1;
};
inline Grid row_grid(uint32_t rows) {
  Grid g;
  g.x = std::min(rows, kMaxGroups);
  g.y = (rows + g.x - 1) / g.x;
  return g;
}
// Element-wise kernels use grid-stride loops: enough groups to cover `count`, capped.
inline uint32_t flat_groups(uint64_t count) {
  return static_cast<uint32_t>(std::clamp<uint64_t>((count + kWorkgroup - 1) / kWorkgroup, 1, kMaxGroups));
}

}  // namespace vkcap::kernels::ops_detail
