#pragma once
// Checkpoint tensors on their way to the GPU: looked up by name, shape-checked, converted to
// f32 (or packed for the linear kernels) and uploaded once. Errors name the model file and the
// weight ("<file>: weight '<name>' has shape [..], expected [..]").
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/linear.h"
#include "kernels/ops.h"
#include "model/tensor_view.h"
#include "vk/context.h"

namespace vkcap::model {

// Finds a tensor by its checkpoint name; nullopt when absent.
using TensorLookup = std::function<std::optional<TensorView>(std::string_view name)>;
// Called once a tensor's values are on the device, so its file pages can leave memory.
using TensorRelease = std::function<void(const TensorView& view)>;

struct LayerNormWeights {
  vk::Buffer gamma, beta;
  float eps = 1e-5f;
};

// `ln` folded into a linear layer's input: the linear reads LN(x (+ residual)) and also writes
// those normalised rows to `out` (see kernels::InputNorm).
inline kernels::InputNorm input_norm(const LayerNormWeights& ln, kernels::BufferRef out,
                                     kernels::BufferRef residual = {}) {
  return {ln.gamma, ln.beta, residual, out, ln.eps};
}
// The same, for a pre-norm block whose normalised rows nobody reads again: `scratch` only holds
// them where the norm cannot be folded.
inline kernels::InputNorm input_norm_scratch(const LayerNormWeights& ln, kernels::BufferRef scratch) {
  kernels::InputNorm norm = input_norm(ln, scratch);
  norm.out_is_scratch = true;
  return norm;
}

// LayerNorm arguments for contiguous rows of d floats: y = LN(x (+ residual)).
inline kernels::LayerNormArgs layer_norm_args(const LayerNormWeights& ln, kernels::BufferRef x, kernels::BufferRef y,
                                              int rows, int d, kernels::BufferRef residual = {}) {
  kernels::LayerNormArgs a;
  a.x = x;
  a.x_stride = d;
  a.residual = residual;
  a.residual_stride = residual.buffer ? d : 0;
  a.gamma = ln.gamma;
  a.beta = ln.beta;
  a.y = y;
  a.y_stride = d;
  a.rows = rows;
  a.d = d;
  a.eps = ln.eps;
  return a;
}

// Which products a linear layer's weight serves: decoding (a few rows a step: kept for the
// device's kernels) or encoding (hundreds of rows: on a CPU device, products through the host's
// BLAS where kernels::host_products_enabled).
enum class WeightUse { Decoder, Encoder };

class WeightLoader {
 public:
  WeightLoader(vk::Context& ctx, TensorLookup lookup, std::string source_label, kernels::WeightType type,
               TensorRelease release = {});
  // Random weights of the right shapes instead of a checkpoint (benchmarks of full-size models
  // from their config alone): LayerNorm weights 1, biases 0, everything else uniform ±0.05.
  static WeightLoader random(vk::Context& ctx, uint64_t seed, kernels::WeightType type);
  // Elements handed out so far (the parameter count of a randomly initialised model).
  uint64_t elements_loaded() const { return elements_; }

  vk::Context& context() { return ctx_; }
  kernels::WeightType weight_type() const { return type_; }

  TensorView require(const std::string& name, std::vector<int64_t> shape) const;
  bool has(const std::string& name) const;
  std::vector<float> floats(const std::string& name, std::vector<int64_t> shape) const;
  // An f32 device buffer holding the tensor as stored.
  vk::Buffer buffer(const std::string& name, std::vector<int64_t> shape) const;
  LayerNormWeights layer_norm(const std::string& prefix, int d, float eps) const;
  // nn.Linear: weight [n,k] (OutIn) + bias [n].
  kernels::PackedWeight linear(const std::string& prefix, int n, int k, bool bias = true,
                               WeightUse use = WeightUse::Decoder) const;
  // GPT-2 Conv1D: weight [k, n_total] (InOut) + bias [n_total]; takes columns [col0, col0+n).
  kernels::PackedWeight conv1d_columns(const std::string& prefix, int k, int n_total, int col0, int n,
                                       WeightUse use = WeightUse::Decoder) const;
  // Several nn.Linear layers stacked along the output dimension (e.g. ViT's q, k, v into qkv).
  kernels::PackedWeight stacked_linear(const std::vector<std::string>& prefixes, int n_each, int k,
                                       WeightUse use = WeightUse::Decoder) const;
  // Packs a weight already in memory for `use` (a conv as a linear layer, a projection...).
  kernels::PackedWeight pack(const float* w, const float* bias, int n, int k, kernels::WeightLayout layout,
                             WeightUse use) const;

 private:
  vk::Context& ctx_;
  TensorLookup lookup_;
  TensorRelease release_;
  std::string label_;
  kernels::WeightType type_;
  bool random_ = false;
  mutable uint64_t random_state_ = 0;
  mutable uint64_t elements_ = 0;
  mutable std::set<std::string> counted_;  // names already counted (a tensor may be read in parts)
};

}  // namespace vkcap::model
