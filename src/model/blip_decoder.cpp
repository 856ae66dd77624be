#include "model/blip_decoder.h"

namespace vkcap::model {

namespace {

const std::string kRoot = "text_decoder.";

PostNormLayerNames blip_layer_names() {
  PostNormLayerNames n;
  n.self_query = "attention.self.query";
  n.self_key = "attention.self.key";
  n.self_value = "attention.self.value";
  n.self_out = "attention.output.dense";
  n.self_norm = "attention.output.LayerNorm";
  n.cross_query = "crossattention.self.query";
  n.cross_key = "crossattention.self.key";
  n.cross_value = "crossattention.self.value";
  n.cross_out = "crossattention.output.dense";
  n.cross_norm = "crossattention.output.LayerNorm";
  n.fc1 = "intermediate.dense";
  n.fc2 = "output.dense";
  n.output_norm = "output.LayerNorm";
  return n;
}

}  // namespace

// BLIP's causal mask is additive: (1 - mask) * -10000.
BlipDecoder::BlipDecoder(const WeightLoader& w, const DecoderSpec& spec)
    : PostNormDecoder(w, spec, kRoot + "bert.encoder.layer.", blip_layer_names(), -10000.0f) {
  const int d = spec.hidden;
  word_embeddings_ = w.buffer(kRoot + "bert.embeddings.word_embeddings.weight", {spec.vocab, d});
  position_embeddings_ = w.buffer(kRoot + "bert.embeddings.position_embeddings.weight", {spec.max_positions, d});
  embeddings_ln_ = w.layer_norm(kRoot + "bert.embeddings.LayerNorm", d, spec.eps);
  transform_ = w.linear(kRoot + "cls.predictions.transform.dense", d, d);
  transform_ln_ = w.layer_norm(kRoot + "cls.predictions.transform.LayerNorm", d, spec.eps);
  // The head's bias is stored as cls.predictions.bias (decoder.bias is its tied alias).
  std::vector<float> weight = w.floats(kRoot + "cls.predictions.decoder.weight", {spec.vocab, d});
  const std::string bias_name =
      w.has(kRoot + "cls.predictions.bias") ? kRoot + "cls.predictions.bias" : kRoot + "cls.predictions.decoder.bias";
  std::vector<float> bias = w.floats(bias_name, {spec.vocab});
  lm_head_ = kernels::pack_linear(ctx_, weight.data(), bias.data(), spec.vocab, d, kernels::WeightLayout::OutIn,
                                  w.weight_type());
}

void BlipDecoder::record_step(vk::Recorder& rec) {
  const int d = spec_.hidden, rows = rows_;
  kernels::record_embedding(rec, word_embeddings_, spec_.vocab, ids_, position_embeddings_, spec_.max_positions,
                            positions_, tmp_, rows, d);
  const kernels::InputNorm last = record_layers(rec, embeddings_ln_);
  // The prediction head: dense + activation on h, its layer norm folded into the LM head.
  kernels::record_linear(rec, {.w = &transform_, .x = tmp_, .m = rows, .y = attended_,
                               .activation = spec_.activation, .norm = &last});
  const kernels::InputNorm head_ln = input_norm(transform_ln_, q_);
  kernels::record_linear(rec, {.w = &lm_head_, .x = attended_, .m = rows, .y = logits_, .norm = &head_ln});
}

}  // namespace vkcap::model
