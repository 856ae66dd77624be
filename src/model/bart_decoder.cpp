#include "model/bart_decoder.h"

#include <limits>

namespace vkcap::model {

namespace {

PostNormLayerNames bart_layer_names() {
  PostNormLayerNames n;
  n.self_query = "self_attn.q_proj";
  n.self_key = "self_attn.k_proj";
  n.self_value = "self_attn.v_proj";
  n.self_out = "self_attn.out_proj";
  n.self_norm = "self_attn_layer_norm";
  n.cross_query = "encoder_attn.q_proj";
  n.cross_key = "encoder_attn.k_proj";
  n.cross_value = "encoder_attn.v_proj";
  n.cross_out = "encoder_attn.out_proj";
  n.cross_norm = "encoder_attn_layer_norm";
  n.fc1 = "fc1";
  n.fc2 = "fc2";
  n.output_norm = "final_layer_norm";
  return n;
}

}  // namespace

// BART's causal mask adds the float32 minimum (_prepare_4d_causal_attention_mask).
BartDecoder::BartDecoder(const WeightLoader& w, const DecoderSpec& spec, const std::string& root)
    : PostNormDecoder(w, spec, root + "model.decoder.layers.", bart_layer_names(), std::numeric_limits<float>::lowest()) {
  const int d = spec.hidden, vocab = spec.vocab;
  const std::string decoder = root + "model.decoder.";
  // `shared` is the token table of both halves and the LM head. A checkpoint may also carry the
  // tied copies (encoder/decoder embed_tokens, lm_head); they hold the same values.
  const std::string shared = w.has(root + "model.shared.weight") ? root + "model.shared.weight"
                                                                  : decoder + "embed_tokens.weight";
  const std::vector<float> table = w.floats(shared, {vocab, d});
  token_table_ = ctx_.upload_vector<float>(table);
  positions_table_ = w.buffer(decoder + "embed_positions.weight", {spec.max_positions + kBartPositionOffset, d});
  embeddings_ln_ = w.layer_norm(decoder + "layernorm_embedding", d, spec.eps);
  // Microsoft's checkpoints store final_logits_bias (zeros there); converted ones may not.
  std::vector<float> bias(size_t(vocab), 0.0f);
  if (w.has(root + "final_logits_bias")) bias = w.floats(root + "final_logits_bias", {1, vocab});
  lm_head_ = kernels::pack_linear(ctx_, table.data(), bias.data(), vocab, d, kernels::WeightLayout::OutIn,
                                  w.weight_type());
}

void BartDecoder::record_step(vk::Recorder& rec) {
  const int d = spec_.hidden;
  const kernels::BufferRef positions(positions_table_, uint64_t(kBartPositionOffset) * d);
  kernels::record_embedding(rec, token_table_, spec_.vocab, ids_, positions, spec_.max_positions, positions_, tmp_,
                            rows_, d);
  const kernels::InputNorm last = record_layers(rec, embeddings_ln_);
  kernels::record_linear(rec, {.w = &lm_head_, .x = tmp_, .m = rows_, .y = logits_, .norm = &last});
}

}  // namespace vkcap::model
