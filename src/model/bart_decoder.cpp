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
BartDecoder::BartDecoder(const WeightLoader& w, const DecoderSpec& spec, const Florence2WeightNames& names)
    : PostNormDecoder(w, spec, names.language_model() + "decoder.layers.", bart_layer_names(),
                      std::numeric_limits<float>::lowest()) {
  const int d = spec.hidden, vocab = spec.vocab;
  const std::string decoder = names.language_model() + "decoder.";
  // `shared` is the token table of both halves and the LM head. A checkpoint may also carry the
  // tied copies (encoder/decoder embed_tokens, lm_head); they hold the same values, so any one
  // of them will do when `shared` itself was left out.
  std::string shared = names.language_model() + "shared.weight";
  for (const std::string& copy : {decoder + "embed_tokens.weight", names.lm_head()})
    if (!w.has(shared) && w.has(copy)) shared = copy;
  const std::vector<float> table = w.floats(shared, {vocab, d});
  token_table_ = ctx_.upload_vector<float>(table);
  positions_table_ = w.buffer(decoder + "embed_positions.weight", {spec.max_positions + kBartPositionOffset, d});
  embeddings_ln_ = w.layer_norm(decoder + "layernorm_embedding", d, spec.eps);
  // Microsoft's checkpoints store final_logits_bias (zeros there); converted ones may not, and
  // transformers' own layout has none (its LM head has no bias).
  std::vector<float> bias(size_t(vocab), 0.0f);
  if (const std::string b = names.final_logits_bias(); !b.empty() && w.has(b)) bias = w.floats(b, {1, vocab});
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
