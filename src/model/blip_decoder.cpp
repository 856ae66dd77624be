#include "model/blip_decoder.h"

namespace vkcap::model {

using kernels::BufferRef;

BlipDecoder::BlipDecoder(const WeightLoader& w, const DecoderSpec& spec)
    : TextDecoder(const_cast<WeightLoader&>(w).context(), spec) {
  const int d = spec.hidden, e = spec.encoder_hidden;
  const std::string root = "text_decoder.";
  word_embeddings_ = w.buffer(root + "bert.embeddings.word_embeddings.weight", {spec.vocab, d});
  position_embeddings_ = w.buffer(root + "bert.embeddings.position_embeddings.weight", {spec.max_positions, d});
  embeddings_ln_ = w.layer_norm(root + "bert.embeddings.LayerNorm", d, spec.eps);
  for (int i = 0; i < spec.layers; ++i) {
    const std::string l = root + "bert.encoder.layer." + std::to_string(i) + ".";
    Layer layer;
    layer.qkv = w.stacked_linear(
        {l + "attention.self.query", l + "attention.self.key", l + "attention.self.value"}, d, d);
    layer.self_out = w.linear(l + "attention.output.dense", d, d);
    layer.self_ln = w.layer_norm(l + "attention.output.LayerNorm", d, spec.eps);
    layer.cross_query = w.linear(l + "crossattention.self.query", d, d);
    // The cross K/V projections run once per image over all its tokens: encoder-sized products.
    layer.cross_key = w.linear(l + "crossattention.self.key", d, e, true, WeightUse::Encoder);
    layer.cross_value = w.linear(l + "crossattention.self.value", d, e, true, WeightUse::Encoder);
    layer.cross_out = w.linear(l + "crossattention.output.dense", d, d);
    layer.cross_ln = w.layer_norm(l + "crossattention.output.LayerNorm", d, spec.eps);
    layer.intermediate = w.linear(l + "intermediate.dense", spec.mlp, d);
    layer.output = w.linear(l + "output.dense", d, spec.mlp);
    layer.output_ln = w.layer_norm(l + "output.LayerNorm", d, spec.eps);
    layers_.push_back(std::move(layer));
  }
  transform_ = w.linear(root + "cls.predictions.transform.dense", d, d);
  transform_ln_ = w.layer_norm(root + "cls.predictions.transform.LayerNorm", d, spec.eps);
  // The head's bias is stored as cls.predictions.bias (decoder.bias is its tied alias).
  {
    std::vector<float> weight = w.floats(root + "cls.predictions.decoder.weight", {spec.vocab, d});
    const std::string bias_name =
        w.has(root + "cls.predictions.bias") ? root + "cls.predictions.bias" : root + "cls.predictions.decoder.bias";
    std::vector<float> bias = w.floats(bias_name, {spec.vocab});
    lm_head_ = kernels::pack_linear(const_cast<WeightLoader&>(w).context(), weight.data(), bias.data(), spec.vocab, d,
                                    kernels::WeightLayout::OutIn, w.weight_type());
  }
}

void BlipDecoder::record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) {
  kernels::record_linear(rec, {.w = &layers_[layer].cross_key, .x = image_tokens, .m = rows, .y = cross_k_[layer]});
  kernels::record_linear(rec, {.w = &layers_[layer].cross_value, .x = image_tokens, .m = rows, .y = cross_v_[layer]});
}

void BlipDecoder::record_step(vk::Recorder& rec) {
  const int d = spec_.hidden, rows = rows_;
  kernels::record_embedding(rec, word_embeddings_, spec_.vocab, ids_, position_embeddings_, spec_.max_positions,
                            positions_, tmp_, rows, d);
  // Post-norm blocks: h ← LN(sublayer output + h). Each such norm is folded into the next linear,
  // which reads tmp (the sublayer output) + h normalised and writes the new h to the other hidden
  // buffer (the old one is still being read by other workgroups of that dispatch).
  const vk::Buffer* h = &x_;
  kernels::InputNorm pending = input_norm(embeddings_ln_, x_);  // the embeddings' norm: no residual
  auto next = [&](const LayerNormWeights& ln) {  // the norm of tmp + h, into the other buffer
    const vk::Buffer* other = h == &x_ ? &x_alt_ : &x_;
    pending = input_norm(ln, *other, *h);
    h = other;
  };
  for (int l = 0; l < spec_.layers; ++l) {
    Layer& layer = layers_[l];
    kernels::record_linear(rec, {.w = &layer.qkv, .x = tmp_, .m = rows, .y = cache_qkv_slot(l),
                                 .y_stride = cache_row_stride(), .norm = &pending});
    // BLIP's causal mask is additive: (1 - mask) * -10000.
    record_self_attention(rec, l, attended_, kernels::MaskMode::Add, -10000.0f);
    kernels::record_linear(rec, {.w = &layer.self_out, .x = attended_, .m = rows, .y = tmp_});
    next(layer.self_ln);
    kernels::record_linear(rec, {.w = &layer.cross_query, .x = tmp_, .m = rows, .y = q_, .norm = &pending});
    record_cross_attention(rec, l, q_, attended_);
    kernels::record_linear(rec, {.w = &layer.cross_out, .x = attended_, .m = rows, .y = tmp_});
    next(layer.cross_ln);
    kernels::record_linear(rec, {.w = &layer.intermediate, .x = tmp_, .m = rows, .y = mlp_,
                                 .activation = spec_.activation, .norm = &pending});
    kernels::record_linear(rec, {.w = &layer.output, .x = mlp_, .m = rows, .y = tmp_});
    next(layer.output_ln);
  }
  // The prediction head: dense + activation on h, its layer norm folded into the LM head.
  kernels::record_linear(rec, {.w = &transform_, .x = tmp_, .m = rows, .y = attended_,
                               .activation = spec_.activation, .norm = &pending});
  const kernels::InputNorm head_ln = input_norm(transform_ln_, q_);
  kernels::record_linear(rec, {.w = &lm_head_, .x = attended_, .m = rows, .y = logits_, .norm = &head_ln});
}

}  // namespace vkcap::model
