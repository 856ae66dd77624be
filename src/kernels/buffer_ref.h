#pragma once
// How kernels name their operands: a device buffer plus an offset in elements. Offsets let a
// kernel read a slice of a fused buffer (q|k|v), write into a KV cache in place, and let tests
// surround every output with guard bands.
#include <cstdint>

#include "vk/memory.h"

namespace vkcap::kernels {

struct BufferRef {
  const vk::Buffer* buffer = nullptr;
  uint64_t offset = 0;  // in elements of the operand's type (floats unless stated)

  BufferRef() = default;
  BufferRef(const vk::Buffer& b, uint64_t element_offset = 0) : buffer(&b), offset(element_offset) {}

  // Device address of the first element, for buffer_reference shaders (4-byte elements).
  uint64_t address(uint64_t element_bytes = 4) const { return buffer->address() + offset * element_bytes; }
  // Elements available from the offset to the end of the buffer.
  uint64_t available(uint64_t element_bytes = 4) const { return buffer->size() / element_bytes - offset; }
};

}  // namespace vkcap::kernels
