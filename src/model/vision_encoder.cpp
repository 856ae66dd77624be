#include "model/vision_encoder.h"


namespace vkcap::model {

using kernels::BufferRef;

VisionEncoder::VisionEncoder(const WeightLoader& w, const VisionSpec& spec, VisionNaming naming) : spec_(spec) {
  const int d = spec.hidden, p = spec.patch, c = spec.channels, s = spec.tokens();
  vk::Context& ctx = const_cast<WeightLoader&>(w).context();
  const bool blip = naming == VisionNaming::Blip;
  const std::string root = blip ? "vision_model." : "encoder.";

  {
    const std::string conv = root + (blip ? "embeddings.patch_embedding" : "embeddings.patch_embeddings.projection");
    // Conv2d weight [D, C, P, P] is a linear layer over patches flattened as (c, ky, kx).
    std::vector<float> weight = w.floats(conv + ".weight", {d, c, p, p});
    std::vector<float> bias = w.floats(conv + ".bias", {d});
    patch_embed_ = w.pack(weight.data(), bias.data(), d, c * p * p, kernels::WeightLayout::OutIn, WeightUse::Encoder);
  }
  cls_ = w.buffer(root + (blip ? "embeddings.class_embedding" : "embeddings.cls_token"), {1, 1, d});
  position_ = w.buffer(root + (blip ? "embeddings.position_embedding" : "embeddings.position_embeddings"), {1, s, d});

  for (int i = 0; i < spec.layers; ++i) {
    Layer layer;
    if (blip) {
      const std::string l = root + "encoder.layers." + std::to_string(i) + ".";
      layer.ln1 = w.layer_norm(l + "layer_norm1", d, spec.eps);
      layer.ln2 = w.layer_norm(l + "layer_norm2", d, spec.eps);
      layer.qkv = w.linear(l + "self_attn.qkv", 3 * d, d, true, WeightUse::Encoder);
      layer.proj = w.linear(l + "self_attn.projection", d, d, true, WeightUse::Encoder);
      layer.fc1 = w.linear(l + "mlp.fc1", spec.mlp, d, true, WeightUse::Encoder);
      layer.fc2 = w.linear(l + "mlp.fc2", d, spec.mlp, true, WeightUse::Encoder);
    } else {
      const std::string l = root + "encoder.layer." + std::to_string(i) + ".";
      layer.ln1 = w.layer_norm(l + "layernorm_before", d, spec.eps);
      layer.ln2 = w.layer_norm(l + "layernorm_after", d, spec.eps);
      const std::string a = l + "attention.attention.";
      layer.qkv = w.stacked_linear({a + "query", a + "key", a + "value"}, d, d, WeightUse::Encoder);
      layer.proj = w.linear(l + "attention.output.dense", d, d, true, WeightUse::Encoder);
      layer.fc1 = w.linear(l + "intermediate.dense", spec.mlp, d, true, WeightUse::Encoder);
      layer.fc2 = w.linear(l + "output.dense", d, spec.mlp, true, WeightUse::Encoder);
    }
    layers_.push_back(std::move(layer));
  }
  final_ln_ = w.layer_norm(root + (blip ? "post_layernorm" : "layernorm"), d, spec.eps);

  const uint64_t f = sizeof(float);
  const int grid = spec.grid();
  patches_ = ctx.create_buffer(uint64_t(grid) * grid * c * p * p * f);
  h_ = ctx.create_buffer(uint64_t(s) * d * f);
  normed_ = ctx.create_buffer(uint64_t(s) * d * f);
  qkv_ = ctx.create_buffer(uint64_t(s) * 3 * d * f);
  attended_ = ctx.create_buffer(uint64_t(s) * d * f);
  mlp_ = ctx.create_buffer(uint64_t(s) * spec.mlp * f);
}

void VisionEncoder::record(vk::Recorder& rec, BufferRef pixels, BufferRef out) {
  const int d = spec_.hidden, s = spec_.tokens(), grid = spec_.grid();
  using kernels::LinearArgs;

  // Embeddings: row 0 = cls + pos[0]; rows 1.. = patch projection + pos[1..].
  kernels::record_im2col(rec, pixels, spec_.channels, spec_.image_size, spec_.image_size, spec_.patch, patches_);
  LinearArgs embed;
  embed.w = &patch_embed_;
  embed.x = patches_;
  embed.m = grid * grid;
  embed.y = BufferRef(h_, d);
  embed.residual = BufferRef(position_, d);
  kernels::record_linear(rec, embed);
  kernels::record_add(rec, cls_, position_, h_, d);

  const int heads = spec_.heads, head_dim = d / heads;
  for (Layer& layer : layers_) {
    kernels::record_layer_norm(rec, layer_norm_args(layer.ln1, h_, normed_, s, d));
    kernels::record_linear(rec, {.w = &layer.qkv, .x = normed_, .m = s, .y = qkv_});
    kernels::AttentionArgs attention = kernels::fused_self_attention(qkv_, attended_, 1, s, heads, head_dim);
    attention.on_host = layer.qkv.host != nullptr;  // a CPU device: with its products (kernels/linear_host.h)
    kernels::record_attention(rec, attention);
    kernels::record_linear(rec, {.w = &layer.proj, .x = attended_, .m = s, .y = h_, .residual = h_});
    kernels::record_layer_norm(rec, layer_norm_args(layer.ln2, h_, normed_, s, d));
    kernels::record_linear(rec, {.w = &layer.fc1, .x = normed_, .m = s, .y = mlp_, .activation = spec_.activation});
    kernels::record_linear(rec, {.w = &layer.fc2, .x = mlp_, .m = s, .y = h_, .residual = h_});
  }
  kernels::record_layer_norm(rec, layer_norm_args(final_ln_, h_, out, s, d));
}

double VisionEncoder::flops() const {
  const double s = spec_.tokens(), d = spec_.hidden, m = spec_.mlp;
  const double per_layer = 2 * s * d * (3 * d + d + 2 * m) + 4 * s * s * d;
  return spec_.layers * per_layer + 2 * (s - 1) * d * spec_.channels * spec_.patch * spec_.patch;
}

}  // namespace vkcap::model
