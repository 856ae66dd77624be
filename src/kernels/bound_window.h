#pragma once
// Binding only the part of a buffer a dispatch touches (internal to src/kernels). A storage
// buffer binding may span at most maxStorageBufferRange bytes (128 MiB on lavapipe), but a
// kernel often works on a slice of a larger buffer (one row block of an activation, one chunk
// of windows). Such an operand is bound as an aligned window around its elements; the shader
// gets the element offset inside that window. A slice that cannot fit one binding is a clear
// error instead of a validation failure or a silent out-of-range read.
#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/ops_checks.h"
#include "vk/recorder.h"

namespace vkcap::kernels::ops_detail {

struct BoundOperand {
  vk::Use use;
  uint32_t offset = 0;  // element index of ref's first element inside the binding
};

// `ref` must hold `count` floats; binds them for `access`.
inline BoundOperand bind_floats(vk::Recorder& rec, const std::string& op, const char* name, const BufferRef& ref,
                                uint64_t count, vk::Access access) {
  operand(op, name, ref, count);
  const vk::DeviceInfo& info = rec.context().info();
  const uint64_t limit = info.max_storage_buffer_range;
  if (ref.buffer->size() <= limit) return {vk::Use{ref.buffer, access, true}, static_cast<uint32_t>(ref.offset)};
  const uint64_t align = std::max<uint64_t>(info.min_storage_buffer_offset_alignment, 4);
  const uint64_t start = ref.offset * 4;
  const uint64_t window = start / align * align;
  const uint64_t bytes = start - window + count * 4;
  if (bytes > limit)
    fail(op, std::string(name) + " spans " + std::to_string(bytes) +
                 " bytes, more than one storage-buffer binding may hold on this device (maxStorageBufferRange " +
                 std::to_string(limit) + "); split the call into smaller blocks");
  return {vk::Use{ref.buffer, access, true, window, bytes}, static_cast<uint32_t>((start - window) / 4)};
}

}  // namespace vkcap::kernels::ops_detail
