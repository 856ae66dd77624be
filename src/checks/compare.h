#pragma once
// Comparing a kernel's output with its plain C++ reference: an error budget (absolute plus
// relative, growing with the reduction length) and a summary of how far off the output is.
// Shared by the kernel tests and `vkcap selftest`.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vkcap::checks {

struct Tolerance {
  double abs = 1e-5;
  double rel = 1e-4;
  // Grows both bounds by sqrt(reduction) (random-walk rounding error of fp32 sums).
  static Tolerance for_reduction(size_t length, double base_abs = 2e-6, double base_rel = 2e-5);
};

// How one output compared: every element finite where the reference is, and within
// abs + rel·|expected| of it. max_rel is element-wise (|err| / |expected|, which is large next to
// zeros); max_expected lets a report give the error relative to the output's scale.
struct Comparison {
  bool pass = true;
  double max_abs = 0, max_rel = 0, max_expected = 0;
  std::string failure;  // empty when it passed: how many were off, the worst element
};

Comparison compare(std::span<const float> actual, std::span<const double> expected, Tolerance tol);
Comparison compare(std::span<const float> actual, std::span<const float> expected, Tolerance tol);

// Deterministic pseudo-random values in [lo, hi).
std::vector<float> random_values(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace vkcap::checks
