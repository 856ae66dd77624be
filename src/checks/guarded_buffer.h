#pragma once
// A device buffer of floats surrounded by guard bands of a sentinel value: a kernel that writes
// past its output (or into an input) is caught when the bands come back changed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/buffer_ref.h"
#include "vk/context.h"

namespace vkcap::checks {

class GuardedBuffer {
 public:
  static constexpr uint32_t kGuard = 64;
  static constexpr float kSentinel = -12345.678f;
  GuardedBuffer(vk::Context& ctx, size_t count, float fill = 0.0f);
  GuardedBuffer(vk::Context& ctx, std::span<const float> values);

  kernels::BufferRef ref() const { return {buffer_, kGuard}; }
  const vk::Buffer& buffer() const { return buffer_; }
  size_t count() const { return count_; }
  std::vector<float> read() const;   // the `count` floats between the guards
  bool guards_intact() const;        // both bands still hold the sentinel

 private:
  vk::Context* ctx_;
  vk::Buffer buffer_;
  size_t count_;
};

}  // namespace vkcap::checks
