#pragma once
// Checks of the linear kernels (kernels/linear.h) against a plain double reference: every path
// (Gpu; Cpu reading weights by address or as texels), fp32 and fp16 weights, both weight
// layouts, the fused epilogue (bias, GELU erf / tanh, residual, in place) and padded strides.
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "kernels/linear.h"

namespace vkcap::checks {

// A kernel family and, for the Cpu family, how it reads the weights.
struct LinearPath {
  vk::KernelVariant variant = vk::KernelVariant::Cpu;
  kernels::WeightFetch fetch = kernels::WeightFetch::Texels;
  bool host = false;  // a host product: OpenBLAS on the mapped buffers (kernels/linear_host.h)
  // A Cpu-packed weight whose matrix-vector products (≤ 8 rows) run on the host
  // (kernels/matvec_host.h); the other Cpu paths keep every product in the shaders.
  bool host_matvec = false;
  // Whether a product of m rows on this path is a host step.
  bool host_step(int m) const;
  std::string name() const;
  // The setting that makes vkcap avoid this path (for a failure report).
  std::string avoided_by() const;
};
// Every path the device can run: Gpu always, Cpu by address and (with the texel formats) as texels,
// and host products and host matrix-vector products where the device is the CPU with mapped memory.
std::vector<LinearPath> linear_paths(const vk::DeviceInfo& info);

struct LinearCase {
  int m = 1, n = 1, k = 1;
  LinearPath path;
  kernels::WeightType type = kernels::WeightType::F32;
  kernels::WeightLayout layout = kernels::WeightLayout::OutIn;
  kernels::Activation activation = kernels::Activation::None;
  bool bias = true;
  bool residual = false;
  bool in_place = false;  // y aliases residual
  float x_scale = 1.0f, w_scale = 1.0f;
  int x_pad = 0, y_pad = 0;  // extra floats per row (strides k + x_pad, n + y_pad)
  uint32_t seed = 1;
  std::string shape() const;
};

// Runs the cases in one submission; one result per case.
std::vector<CheckResult> run_linear_cases(const CheckRun& run, const std::vector<LinearCase>& cases);

// The shape lists, per path and weight type.
// Every M, N, K edge: rows, panels and k blocks (200 cases).
std::vector<LinearCase> linear_edge_cases(const LinearPath& path, kernels::WeightType type);
// The matrix-vector path (m <= 8): odd panel counts, K tails, every row count, epilogues.
std::vector<LinearCase> linear_matvec_cases(const LinearPath& path, kernels::WeightType type);
// Both weight layouts, padded strides, in place, every activation.
std::vector<LinearCase> linear_epilogue_cases(const LinearPath& path, kernels::WeightType type);
// x ±1e4 with w ±1e-4, the reverse, and x ±1e4 with w ±1.
std::vector<LinearCase> linear_magnitude_cases(const LinearPath& path, kernels::WeightType type);
// K = 3072 with GELU and residual.
std::vector<LinearCase> linear_long_k_cases(const LinearPath& path, kernels::WeightType type);
// How host products split the work: many columns in several ragged blocks (≤ 1024 rows split
// by columns) and more rows than that (split by rows), both layouts, in place, GELU.
std::vector<LinearCase> linear_block_split_cases(const LinearPath& path, kernels::WeightType type);
// A decode step: 3×2304×768 (GPT-2 c_attn, a beam of 3).
LinearCase linear_decode_case(const LinearPath& path, kernels::WeightType type);
// An encoder layer: 197×768×768 with GELU and residual.
LinearCase linear_encoder_case(const LinearPath& path);
// A small sample of the above for `vkcap selftest --quick`.
std::vector<LinearCase> linear_quick_cases(const LinearPath& path, kernels::WeightType type);

// GELU through the epilogue of a 1×1 identity weight over ±12 and extremes (erf or tanh form).
CheckResult run_linear_gelu_sweep(const CheckRun& run, const LinearPath& path, kernels::Activation activation);

// A layer norm folded into the linear's input (kernels::InputNorm) against LN then linear in
// double: both the linear's output and the normalised rows; `scratch` = out_is_scratch (the
// folded kernel must leave the scratch rows alone).
struct FoldedNormCase {
  LinearPath path;
  kernels::WeightType type = kernels::WeightType::F32;
  int m = 1, k = 97;
  bool residual = false;
  bool scratch = false;
  std::string shape() const;
};
CheckResult run_folded_norm_case(const CheckRun& run, const FoldedNormCase& c);

}  // namespace vkcap::checks
