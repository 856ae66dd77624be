#include "model/gpt2_decoder.h"

#include <limits>

namespace vkcap::model {

using kernels::BufferRef;

Gpt2Decoder::Gpt2Decoder(const WeightLoader& w, const DecoderSpec& spec)
    : TextDecoder(const_cast<WeightLoader&>(w).context(), spec) {
  const int c = spec.hidden;
  const std::string root = "decoder.transformer.";
  std::vector<float> wte = w.floats(root + "wte.weight", {spec.vocab, c});
  wte_ = ctx_.upload_vector<float>(wte);
  wpe_ = w.buffer(root + "wpe.weight", {spec.max_positions, c});
  for (int i = 0; i < spec.layers; ++i) {
    const std::string l = root + "h." + std::to_string(i) + ".";
    Layer layer;
    layer.ln_1 = w.layer_norm(l + "ln_1", c, spec.eps);
    layer.ln_cross = w.layer_norm(l + "ln_cross_attn", c, spec.eps);
    layer.ln_2 = w.layer_norm(l + "ln_2", c, spec.eps);
    layer.qkv = w.conv1d_columns(l + "attn.c_attn", c, 3 * c, 0, 3 * c);
    layer.proj = w.conv1d_columns(l + "attn.c_proj", c, c, 0, c);
    layer.cross_query = w.conv1d_columns(l + "crossattention.q_attn", c, c, 0, c);
    // The cross K/V projections run once per image over all its tokens: encoder-sized products.
    layer.cross_key = w.conv1d_columns(l + "crossattention.c_attn", c, 2 * c, 0, c, WeightUse::Encoder);
    layer.cross_value = w.conv1d_columns(l + "crossattention.c_attn", c, 2 * c, c, c, WeightUse::Encoder);
    layer.cross_proj = w.conv1d_columns(l + "crossattention.c_proj", c, c, 0, c);
    layer.fc = w.conv1d_columns(l + "mlp.c_fc", c, spec.mlp, 0, spec.mlp);
    layer.fc_proj = w.conv1d_columns(l + "mlp.c_proj", spec.mlp, c, 0, c);
    layers_.push_back(std::move(layer));
  }
  ln_f_ = w.layer_norm(root + "ln_f", c, spec.eps);
  // Tied head: logits = h · wteᵀ, i.e. a linear layer whose [out, in] weight is wte itself.
  lm_head_ = kernels::pack_linear(ctx_, wte.data(), nullptr, spec.vocab, c, kernels::WeightLayout::OutIn,
                                  w.weight_type());
}

void Gpt2Decoder::record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) {
  kernels::record_linear(rec, {.w = &layers_[layer].cross_key, .x = image_tokens, .m = rows, .y = cross_k_[layer]});
  kernels::record_linear(rec, {.w = &layers_[layer].cross_value, .x = image_tokens, .m = rows, .y = cross_v_[layer]});
}

void Gpt2Decoder::record_step(vk::Recorder& rec) {
  const int c = spec_.hidden, rows = rows_;
  kernels::record_embedding(rec, wte_, spec_.vocab, ids_, wpe_, spec_.max_positions, positions_, x_, rows, c);
  // Pre-norm blocks: each layer norm is folded into the linear that reads it, one dispatch fewer
  // per norm; tmp only holds LN(x) where a norm cannot be folded (beams, the LM head).
  for (int l = 0; l < spec_.layers; ++l) {
    Layer& layer = layers_[l];
    const kernels::InputNorm ln_1 = input_norm_scratch(layer.ln_1, tmp_),
                             ln_cross = input_norm_scratch(layer.ln_cross, tmp_),
                             ln_2 = input_norm_scratch(layer.ln_2, tmp_);
    kernels::record_linear(rec, {.w = &layer.qkv, .x = x_, .m = rows, .y = cache_qkv_slot(l),
                                 .y_stride = cache_row_stride(), .norm = &ln_1});
    // GPT-2 replaces masked scores with the fp32 minimum (torch.where).
    record_self_attention(rec, l, attended_, kernels::MaskMode::Replace, std::numeric_limits<float>::lowest());
    kernels::record_linear(rec, {.w = &layer.proj, .x = attended_, .m = rows, .y = x_, .residual = x_});
    kernels::record_linear(rec, {.w = &layer.cross_query, .x = x_, .m = rows, .y = q_, .norm = &ln_cross});
    record_cross_attention(rec, l, q_, attended_);
    kernels::record_linear(rec, {.w = &layer.cross_proj, .x = attended_, .m = rows, .y = x_, .residual = x_});
    kernels::record_linear(rec, {.w = &layer.fc, .x = x_, .m = rows, .y = mlp_, .activation = spec_.activation,
                                 .norm = &ln_2});
    kernels::record_linear(rec, {.w = &layer.fc_proj, .x = mlp_, .m = rows, .y = x_, .residual = x_});
  }
  const kernels::InputNorm ln_f = input_norm_scratch(ln_f_, tmp_);
  kernels::record_linear(rec, {.w = &lm_head_, .x = x_, .m = rows, .y = logits_, .norm = &ln_f});
}

}  // namespace vkcap::model
