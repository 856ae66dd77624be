#include "model/gpu_weights.h"

#include "util/error.h"

namespace vkcap::model {

WeightLoader::WeightLoader(vk::Context& ctx, TensorLookup lookup, std::string source_label, kernels::WeightType type)
    : ctx_(ctx), lookup_(std::move(lookup)), label_(std::move(source_label)), type_(type) {}

TensorView WeightLoader::require(const std::string& name, std::vector<int64_t> shape) const {
  std::optional<TensorView> view = lookup_(name);
  if (!view) throw Error(label_ + ": missing weight '" + name + "'");
  if (view->shape != shape)
    throw Error(label_ + ": weight '" + name + "' has shape " + shape_string(view->shape) + ", expected " +
                shape_string(shape));
  return *view;
}

std::vector<float> WeightLoader::floats(const std::string& name, std::vector<int64_t> shape) const {
  return to_f32(require(name, std::move(shape)));
}

vk::Buffer WeightLoader::buffer(const std::string& name, std::vector<int64_t> shape) const {
  std::vector<float> values = floats(name, std::move(shape));
  return ctx_.upload_vector<float>(values);
}

LayerNormWeights WeightLoader::layer_norm(const std::string& prefix, int d, float eps) const {
  return {buffer(prefix + ".weight", {d}), buffer(prefix + ".bias", {d}), eps};
}

kernels::PackedWeight WeightLoader::linear(const std::string& prefix, int n, int k, bool bias) const {
  std::vector<float> w = floats(prefix + ".weight", {n, k});
  std::vector<float> b;
  if (bias) b = floats(prefix + ".bias", {n});
  return kernels::pack_linear(ctx_, w.data(), bias ? b.data() : nullptr, n, k, kernels::WeightLayout::OutIn, type_);
}

kernels::PackedWeight WeightLoader::conv1d_columns(const std::string& prefix, int k, int n_total, int col0,
                                                   int n) const {
  std::vector<float> w = floats(prefix + ".weight", {k, n_total});
  std::vector<float> b = floats(prefix + ".bias", {n_total});
  std::vector<float> cols(static_cast<size_t>(k) * n);
  for (int r = 0; r < k; ++r)
    for (int c = 0; c < n; ++c) cols[static_cast<size_t>(r) * n + c] = w[static_cast<size_t>(r) * n_total + col0 + c];
  return kernels::pack_linear(ctx_, cols.data(), b.data() + col0, n, k, kernels::WeightLayout::InOut, type_);
}

kernels::PackedWeight WeightLoader::stacked_linear(const std::vector<std::string>& prefixes, int n_each, int k) const {
  std::vector<float> w, b;
  for (const std::string& prefix : prefixes) {
    std::vector<float> wi = floats(prefix + ".weight", {n_each, k});
    std::vector<float> bi = floats(prefix + ".bias", {n_each});
    w.insert(w.end(), wi.begin(), wi.end());
    b.insert(b.end(), bi.begin(), bi.end());
  }
  const int n = n_each * static_cast<int>(prefixes.size());
  return kernels::pack_linear(ctx_, w.data(), b.data(), n, k, kernels::WeightLayout::OutIn, type_);
}

}  // namespace vkcap::model
