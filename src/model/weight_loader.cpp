#include "model/weight_loader.h"

#include "kernels/linear_host.h"

#include <cstdint>

#include "util/error.h"

namespace vkcap::model {

WeightLoader::WeightLoader(vk::Context& ctx, TensorLookup lookup, std::string source_label, kernels::WeightType type,
                           TensorRelease release)
    : ctx_(ctx), lookup_(std::move(lookup)), release_(std::move(release)), label_(std::move(source_label)), type_(type) {}

TensorView WeightLoader::require(const std::string& name, std::vector<int64_t> shape) const {
  std::optional<TensorView> view = lookup_(name);
  if (!view) throw Error(label_ + ": missing weight '" + name + "'");
  if (view->shape != shape)
    throw Error(label_ + ": weight '" + name + "' has shape " + shape_string(view->shape) + ", expected " +
                shape_string(shape));
  return *view;
}

WeightLoader WeightLoader::random(vk::Context& ctx, uint64_t seed, kernels::WeightType type) {
  WeightLoader loader(ctx, [](std::string_view) { return std::optional<TensorView>(); }, "random weights", type);
  loader.random_ = true;
  loader.random_state_ = seed * 0x9E3779B97F4A7C15ull + 1;
  return loader;
}

std::vector<float> WeightLoader::floats(const std::string& name, std::vector<int64_t> shape) const {
  if (!random_) {
    const TensorView view = require(name, shape);
    std::vector<float> values = to_f32(view);
    if (release_) release_(view);
    if (counted_.insert(name).second) elements_ += values.size();
    return values;
  }
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (counted_.insert(name).second) elements_ += uint64_t(count);
  const bool is_norm_weight = name.find("LayerNorm.weight") != std::string::npos ||
                              name.find("layer_norm") != std::string::npos || name.find("layernorm") != std::string::npos ||
                              name.find(".ln_") != std::string::npos;
  const bool is_bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  if (is_bias) return std::vector<float>(size_t(count), 0.0f);
  if (is_norm_weight) return std::vector<float>(size_t(count), 1.0f);
  std::vector<float> values(static_cast<size_t>(count));
  uint64_t s = random_state_;
  for (float& v : values) {  // xorshift64*: fast, and the values only need to be varied
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    v = (float((s * 2685821657736338717ull) >> 40) / float(1 << 24) - 0.5f) * 0.1f;
  }
  random_state_ = s;
  return values;
}

bool WeightLoader::has(const std::string& name) const { return !random_ && lookup_(name).has_value(); }

vk::Buffer WeightLoader::buffer(const std::string& name, std::vector<int64_t> shape) const {
  std::vector<float> values = floats(name, std::move(shape));
  return ctx_.upload_vector<float>(values);
}

LayerNormWeights WeightLoader::layer_norm(const std::string& prefix, int d, float eps) const {
  return {buffer(prefix + ".weight", {d}), buffer(prefix + ".bias", {d}), eps};
}

kernels::PackedWeight WeightLoader::pack(const float* w, const float* bias, int n, int k, kernels::WeightLayout layout,
                                         WeightUse use) const {
  if (use == WeightUse::Encoder) return kernels::pack_linear_for_encoder(ctx_, w, bias, n, k, layout, type_);
  return kernels::pack_linear(ctx_, w, bias, n, k, layout, type_);
}

kernels::PackedWeight WeightLoader::linear(const std::string& prefix, int n, int k, bool bias, WeightUse use) const {
  std::vector<float> b;
  if (bias) b = floats(prefix + ".bias", {n});
  const auto pack = [&](const float* w) {
    return this->pack(w, bias ? b.data() : nullptr, n, k, kernels::WeightLayout::OutIn, use);
  };
  const std::string name = prefix + ".weight";
  if (random_) return pack(floats(name, {n, k}).data());
  // An aligned f32 weight is packed straight from the mapped file, with no f32 copy in between;
  // other dtypes go through one conversion.
  const TensorView view = require(name, {n, k});
  const bool direct = view.dtype == DType::F32 && reinterpret_cast<uintptr_t>(view.bytes.data()) % alignof(float) == 0;
  kernels::PackedWeight packed =
      direct ? pack(reinterpret_cast<const float*>(view.bytes.data())) : pack(to_f32(view).data());
  if (release_) release_(view);
  return packed;
}

kernels::PackedWeight WeightLoader::conv1d_columns(const std::string& prefix, int k, int n_total, int col0, int n,
                                                   WeightUse use) const {
  std::vector<float> w = floats(prefix + ".weight", {k, n_total});
  std::vector<float> b = floats(prefix + ".bias", {n_total});
  std::vector<float> cols(static_cast<size_t>(k) * n);
  for (int r = 0; r < k; ++r)
    for (int c = 0; c < n; ++c) cols[static_cast<size_t>(r) * n + c] = w[static_cast<size_t>(r) * n_total + col0 + c];
  return pack(cols.data(), b.data() + col0, n, k, kernels::WeightLayout::InOut, use);
}

kernels::PackedWeight WeightLoader::stacked_linear(const std::vector<std::string>& prefixes, int n_each, int k,
                                                   WeightUse use) const {
  std::vector<float> w, b;
  for (const std::string& prefix : prefixes) {
    std::vector<float> wi = floats(prefix + ".weight", {n_each, k});
    std::vector<float> bi = floats(prefix + ".bias", {n_each});
    w.insert(w.end(), wi.begin(), wi.end());
    b.insert(b.end(), bi.begin(), bi.end());
  }
  const int n = n_each * static_cast<int>(prefixes.size());
  return pack(w.data(), b.data(), n, k, kernels::WeightLayout::OutIn, use);
}

}  // namespace vkcap::model
