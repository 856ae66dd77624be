// src/kernels/linear.h  (matmul + matrix-vector, one entry point)
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include "kernels/buffer_ref.h"
#include "vk/context.h"
#include "vk/recorder.h"
namespace vkcap::kernels {
enum class WeightType { F32, F16 };
enum class WeightLayout { OutIn /* [N,K] nn.Linear */, InOut /* [K,N] GPT-2 Conv1D */ };
enum class Activation { None, GeluErf, GeluTanh };
// How the Cpu variant's kernels read the panel-packed weights (same bytes either way):
// Texels through a uniform texel buffer view, Addresses through buffer_reference loads.
enum class WeightFetch { Addresses, Texels };
struct HostWeight;  // kernels/linear_host.h
// A linear layer's weight (and optional bias) uploaded once, in the layout the chosen kernel
// variant reads fastest (e.g. panel-packed for the CPU variant). fp16 weights are converted on
// the host at pack time (round to nearest even); bias stays f32.
//   Cpu variant: column panels of panel_width = 4·subgroup columns; panel p is subgroup
//                "lane streams", stream l holding W[k, p·panel_width + 4l .. +3] for k = 0 ..
//                k_padded−1 (K rounded up to 8) contiguously, streams lane_stride elements apart
//                (4·k_padded + one cache line), zero padded (linear_cpu.comp, linear_cpu_mv.comp).
//                With WeightFetch::Texels the kernels read the same bytes as 16-byte texels: one
//                RGBA32F texel per lane and k (fp16: one RGBA32UI texel per lane and 2 k's).
//   Gpu variant: [N, k_padded] row-major (K rounded up to 2 for fp16 pairs) (linear_gpu*.comp).
struct PackedWeight {
  vk::Buffer weight;
  vk::Buffer bias;          // empty when there is no bias
  int n = 0, k = 0;         // y[M,N] = x[M,K] · W + b
  WeightType type = WeightType::F32;
  vk::KernelVariant variant = vk::KernelVariant::Gpu;
  int k_padded = 0;         // rows per panel (Cpu) or row length (Gpu) in the packed weight
  int panel_width = 0;      // Cpu variant only: columns per panel
  int lane_stride = 0;      // Cpu variant only: elements from one lane stream to the next
  WeightFetch fetch = WeightFetch::Addresses;  // Cpu variant only
  // Set for a weight whose products run on the host (kernels/linear_host.h); `weight` and
  // `bias` are then empty.
  std::shared_ptr<const HostWeight> host;
  bool has_bias() const { return static_cast<bool>(bias); }
  uint64_t bytes() const;   // device bytes used
};
// `w` holds n*k floats in `layout`; `bias` n floats or nullptr. `fetch` matters for the Cpu
// variant only; it must be Addresses where the device lacks the texel formats (texel_formats).
PackedWeight pack_linear(vk::Context& ctx, const float* w, const float* bias, int n, int k, WeightLayout layout,
                         WeightType type, vk::KernelVariant variant, WeightFetch fetch);
// The device's choices: its preferred variant, and the weight fetch DeviceInfo::texel_weights chose.
inline WeightFetch preferred_fetch(const vk::DeviceInfo& info) {
  return info.texel_weights ? WeightFetch::Texels : WeightFetch::Addresses;
}
inline PackedWeight pack_linear(vk::Context& ctx, const float* w, const float* bias, int n, int k,
                                WeightLayout layout, WeightType type, vk::KernelVariant variant) {
  return pack_linear(ctx, w, bias, n, k, layout, type, variant, preferred_fetch(ctx.info()));
}
inline PackedWeight pack_linear(vk::Context& ctx, const float* w, const float* bias, int n, int k,
                                WeightLayout layout, WeightType type) {
  return pack_linear(ctx, w, bias, n, k, layout, type, ctx.info().preferred_variant());
}
// The texel format of a Cpu-variant weight read as texels: 16 bytes, i.e. 4 fp32 weights (one
// k step of a lane stream) or 8 fp16 weights (two k steps, unpacked in the shader).
inline VkFormat weight_texel_format(WeightType type) {
  return type == WeightType::F16 ? VK_FORMAT_R32G32B32A32_UINT : VK_FORMAT_R32G32B32A32_SFLOAT;
}
// A layer norm folded into a linear layer's input: the rows x are replaced by
// LN(x + residual)·gamma + beta (fp32 statistics, biased variance, eps inside the sqrt, like
// record_layer_norm over K floats), and the normalised rows are also written to `out` (same row
// stride as x; must not share a buffer with x, residual or y), e.g. for a later residual add.
// out_is_scratch: the caller never reads `out` (pre-norm blocks, whose residual is x itself), so
// the folded kernel skips writing it; `out` is still needed as the unfolded path's LN output.
struct InputNorm {
  BufferRef gamma, beta;
  BufferRef residual;  // optional
  BufferRef out;
  float eps = 1e-5f;
  bool out_is_scratch = false;
};
struct LinearArgs {
  const PackedWeight* w = nullptr;
  BufferRef x;  int m = 0;  int x_stride = 0;   // row stride in floats; 0 = k
  BufferRef y;  int y_stride = 0;               // 0 = n
  Activation activation = Activation::None;     // applied to x·W + b
  BufferRef residual; int residual_stride = 0;  // optional: y = act(x·W + b) + residual (0 = n)
  const InputNorm* norm = nullptr;               // optional: normalise x first (see InputNorm)
  // Keep a Cpu-packed product in the shaders even where the host would take it (matvec_host.h):
  // for tests and checks of the shader path.
  bool shaders_only = false;
};
// y = act(x·W + b) (+ residual). Any m >= 1, n, k. Uses the matrix-vector kernel for m <= 8
// (streams each weight once for all rows: decode steps, beams), the matmul kernel otherwise.
// y may alias residual (in-place residual add) but never x. With `norm`, the Cpu matrix-vector
// kernel normalises x in the same dispatch where linear_folds_norm() says it pays; otherwise a
// layer-norm dispatch into norm.out runs first and the linear reads that.
void record_linear(vk::Recorder& rec, const LinearArgs& args);
// Floating-point operations of one call (2·m·n·k), for benchmarks.
double linear_flops(const LinearArgs& args);
// The shader record_linear runs for `m` rows of `w`, less the "_f16" that fp16 weights add:
// linear_{cpu,gpu}[_mv][_texels] (benchmarks print it with the dtype beside it).
std::string linear_kernel_family(const PackedWeight& w, int m);
// Rows at or below which record_linear uses the matrix-vector path.
inline constexpr int kLinearMatVecMaxRows = 8;
// Whether record_linear folds LinearArgs::norm into the kernel for `m` rows of `w` (otherwise a
// layer-norm dispatch runs first): the Cpu matrix-vector kernel with 1–2 rows and at most 4096
// columns. Every workgroup recomputes its rows' statistics, so with more rows (beams) or more
// workgroups (an LM head) that costs more than the dispatch it saves.
bool linear_folds_norm(const PackedWeight& w, int m);
}  // namespace vkcap::kernels
