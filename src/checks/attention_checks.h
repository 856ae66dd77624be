#pragma once
// Checks of the fused attention kernel (kernels/attention.h): host copies of Q/K/V laid out
// exactly as the kernel reads them (strides, fused buffers), a textbook reference in double
// (explicit score matrix, softmax, ·V), and a runner that records one dispatch with every
// operand surrounded by guard bands.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checks/check_result.h"
#include "kernels/attention.h"

namespace vkcap::checks {

// The shape and layout of one problem; strides 0 mean the kernel's defaults.
struct AttentionProblem {
  int batch = 1, kv_div = 1, lq = 1, lk = 1, heads = 1, d = 8;
  int q_row = 0, k_row = 0, v_row = 0, out_row = 0;
  int64_t q_batch = 0, k_batch = 0, v_batch = 0, out_batch = 0;
  bool fused_qkv = false;  // q|k|v in one buffer, row stride 3·heads·d (needs lq == lk)
  kernels::MaskKind mask = kernels::MaskKind::None;
  int causal_offset = 0;
  kernels::MaskMode mode = kernels::MaskMode::Add;
  float masked_value = -10000.0f;
  std::vector<float> key_valid;  // KeyPadding: kv batches × lk
  bool probs = false;
  bool on_host = false;  // the host path (kernels/attention_host.h): no mask, no probs
  float qk_magnitude = 1.0f, v_magnitude = 1.0f;
  std::optional<float> scale;  // default 1/sqrt(d)
  uint32_t seed = 1;

  int hd() const { return heads * d; }
  int kv_batches() const { return (batch + kv_div - 1) / kv_div; }
  int row(int s) const { return s == 0 ? hd() : s; }
  int64_t bstride(int64_t s, int row_stride, int rows) const { return s == 0 ? int64_t(row_stride) * rows : s; }
  float the_scale() const;
  std::string shape() const;
};

// The device's output and the reference for one problem.
struct AttentionOutcome {
  std::vector<float> out;                // dense [batch, lq, heads, d] gathered from the output layout
  std::vector<float> probs;              // [batch, heads, lq, lk]
  std::vector<double> ref_out, ref_probs;
  bool guards_ok = true, gaps_ok = true;
};

// Builds the buffers, records the kernel with `variant`, and returns device and reference results.
AttentionOutcome run_attention(vk::Context& ctx, const AttentionProblem& p, vk::KernelVariant variant);

// Output error budget: softmax-weighted sums of V (plus the lk-term normaliser) in fp32.
Tolerance attention_out_tolerance(const AttentionProblem& p, double extra = 1.0);

// Runs `p` on `variant` and checks the output (and the probabilities when requested), the guard
// bands, and that nothing outside the output layout was written. `what` names the problem.
CheckResult check_attention(const CheckRun& run, const AttentionProblem& p, vk::KernelVariant variant,
                            const std::string& what, double extra_tolerance = 1.0);

// Decoding: query t alone (causal_offset = t) against the first t+1 cached keys gives row t of
// the full causal computation, for every t of 9 (both recorded in one submission), 2 heads.
CheckResult check_attention_decode_steps(const CheckRun& run, vk::KernelVariant variant, kernels::MaskMode mode,
                                         int head_dim = 32);

struct NamedAttentionProblem {
  std::string what;
  AttentionProblem problem;
  double extra_tolerance = 1.0;
  std::string group;  // which property it covers: "head dims", "lengths", "strides", "fused",
                      // "beams", "magnitudes", "large", "causal", "key padding", "all masked"
};
// The test suite's problems: every head dim from 8 to 128, query and key lengths 1..64 (self and
// cross), padded even and odd strides, fused q|k|v, beams sharing K/V, magnitudes 1e4 and 1e-4,
// 577 tokens × 12 heads and 4096 keys, both mask kinds in both modes, fully masked rows.
std::vector<NamedAttentionProblem> attention_problems();
// A few of the same kind at head dim 64, for `vkcap selftest --quick`.
std::vector<NamedAttentionProblem> attention_quick_problems();

}  // namespace vkcap::checks
