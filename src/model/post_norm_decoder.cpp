#include "model/post_norm_decoder.h"

namespace vkcap::model {

PostNormDecoder::PostNormDecoder(const WeightLoader& w, const DecoderSpec& spec, const std::string& layer_prefix,
                                 const PostNormLayerNames& n, float masked_value)
    : TextDecoder(const_cast<WeightLoader&>(w).context(), spec), masked_value_(masked_value) {
  const int d = spec.hidden, e = spec.encoder_hidden;
  for (int i = 0; i < spec.layers; ++i) {
    const std::string l = layer_prefix + std::to_string(i) + ".";
    Layer layer;
    layer.qkv = w.stacked_linear({l + n.self_query, l + n.self_key, l + n.self_value}, d, d);
    layer.self_out = w.linear(l + n.self_out, d, d);
    layer.self_norm = w.layer_norm(l + n.self_norm, d, spec.eps);
    layer.cross_query = w.linear(l + n.cross_query, d, d);
    // The cross K/V projections run once per image over all its tokens: encoder-sized products.
    layer.cross_key = w.linear(l + n.cross_key, d, e, true, WeightUse::Encoder);
    layer.cross_value = w.linear(l + n.cross_value, d, e, true, WeightUse::Encoder);
    layer.cross_out = w.linear(l + n.cross_out, d, d);
    layer.cross_norm = w.layer_norm(l + n.cross_norm, d, spec.eps);
    layer.fc1 = w.linear(l + n.fc1, spec.mlp, d);
    layer.fc2 = w.linear(l + n.fc2, d, spec.mlp);
    layer.output_norm = w.layer_norm(l + n.output_norm, d, spec.eps);
    layers_.push_back(std::move(layer));
  }
}

void PostNormDecoder::record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) {
  kernels::record_linear(rec, {.w = &layers_[layer].cross_key, .x = image_tokens, .m = rows, .y = cross_k_[layer]});
  kernels::record_linear(rec, {.w = &layers_[layer].cross_value, .x = image_tokens, .m = rows, .y = cross_v_[layer]});
}

kernels::InputNorm PostNormDecoder::record_layers(vk::Recorder& rec, const LayerNormWeights& embeddings_norm) {
  const int rows = rows_;
  // Post-norm blocks: h ← LN(sublayer output + h). Each such norm is folded into the next linear,
  // which reads tmp (the sublayer output) + h normalised and writes the new h to the other hidden
  // buffer (the old one is still being read by other workgroups of that dispatch).
  const vk::Buffer* h = &x_;
  kernels::InputNorm pending = input_norm(embeddings_norm, x_);  // the embeddings' norm: no residual
  auto next = [&](const LayerNormWeights& ln) {  // the norm of tmp + h, into the other buffer
    const vk::Buffer* other = h == &x_ ? &x_alt_ : &x_;
    pending = input_norm(ln, *other, *h);
    h = other;
  };
  for (int l = 0; l < spec_.layers; ++l) {
    Layer& layer = layers_[l];
    kernels::record_linear(rec, {.w = &layer.qkv, .x = tmp_, .m = rows, .y = cache_qkv_slot(l),
                                 .y_stride = cache_row_stride(), .norm = &pending});
    // The newest position's query sees every cached key, so no score is ever masked; the mode and
    // value only document the architecture's rule.
    record_self_attention(rec, l, attended_, kernels::MaskMode::Add, masked_value_);
    kernels::record_linear(rec, {.w = &layer.self_out, .x = attended_, .m = rows, .y = tmp_});
    next(layer.self_norm);
    kernels::record_linear(rec, {.w = &layer.cross_query, .x = tmp_, .m = rows, .y = q_, .norm = &pending});
    record_cross_attention(rec, l, q_, attended_);
    kernels::record_linear(rec, {.w = &layer.cross_out, .x = attended_, .m = rows, .y = tmp_});
    next(layer.cross_norm);
    kernels::record_linear(rec, {.w = &layer.fc1, .x = tmp_, .m = rows, .y = mlp_,
                                 .activation = spec_.activation, .norm = &pending});
    kernels::record_linear(rec, {.w = &layer.fc2, .x = mlp_, .m = rows, .y = tmp_});
    next(layer.output_norm);
  }
  return pending;
}

}  // namespace vkcap::model
