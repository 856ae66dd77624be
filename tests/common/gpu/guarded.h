#pragma once
// Shared helpers for kernel tests: outputs surrounded by guard bands that must come back
// untouched, and comparison against a plain C++ reference with an error budget that grows with
// the reduction length. Failures print max abs / max rel error and where it happened.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/gpu/harness.h"
#include "kernels/buffer_ref.h"
#include "vk/memory.h"

namespace vkcap::test {

// A device buffer of `count` floats with `guard` sentinel floats on each side.
class GuardedBuffer {
 public:
  static constexpr uint32_t kGuard = 64;
  static constexpr float kSentinel = -12345.678f;
  explicit GuardedBuffer(size_t count, float fill = 0.0f);
  GuardedBuffer(std::span<const float> values);

  kernels::BufferRef ref() const { return {buffer_, kGuard}; }
  const vk::Buffer& buffer() const { return buffer_; }
  size_t count() const { return count_; }
  std::vector<float> read() const;   // the `count` floats between the guards
  bool guards_intact() const;        // both bands still hold the sentinel

 private:
  vk::Buffer buffer_;
  size_t count_;
};

struct Tolerance {
  double abs = 1e-5;
  double rel = 1e-4;
  // Grows both bounds by sqrt(reduction) (random-walk rounding error of fp32 sums).
  static Tolerance for_reduction(size_t length, double base_abs = 2e-6, double base_rel = 2e-5);
};

// CHECKs that every element is finite, within abs + rel·|expected| of the reference, and
// reports the worst element when it is not. Returns whether it passed.
bool expect_close(std::span<const float> actual, std::span<const double> expected, Tolerance tol,
                  const std::string& what);
bool expect_close(std::span<const float> actual, std::span<const float> expected, Tolerance tol,
                  const std::string& what);

// Deterministic pseudo-random values in [lo, hi).
std::vector<float> random_values(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace vkcap::test
