#include "model/bart_encoder.h"

#include <algorithm>

#include "kernels/attention.h"
#include "kernels/ops.h"
#include "model/bart_decoder.h"
#include "util/error.h"

namespace vkcap::model {

using kernels::BufferRef;

BartEncoder::BartEncoder(const WeightLoader& w, const BartEncoderSpec& spec, const std::string& model_root,
                         const vk::Buffer& token_table)
    : spec_(spec), ctx_(const_cast<WeightLoader&>(w).context()), token_table_(token_table) {
  const int d = spec.hidden;
  const std::string encoder = model_root + "encoder.";
  positions_table_ = w.buffer(encoder + "embed_positions.weight", {spec.max_positions + kBartPositionOffset, d});
  embeddings_ln_ = w.layer_norm(encoder + "layernorm_embedding", d, spec.eps);
  for (int i = 0; i < spec.layers; ++i) {
    const std::string l = encoder + "layers." + std::to_string(i) + ".";
    Layer layer;
    layer.qkv = w.stacked_linear({l + "self_attn.q_proj", l + "self_attn.k_proj", l + "self_attn.v_proj"}, d, d,
                                 WeightUse::Encoder);
    layer.out = w.linear(l + "self_attn.out_proj", d, d, true, WeightUse::Encoder);
    layer.self_norm = w.layer_norm(l + "self_attn_layer_norm", d, spec.eps);
    layer.fc1 = w.linear(l + "fc1", spec.ffn, d, true, WeightUse::Encoder);
    layer.fc2 = w.linear(l + "fc2", d, spec.ffn, true, WeightUse::Encoder);
    layer.output_norm = w.layer_norm(l + "final_layer_norm", d, spec.eps);
    layers_.push_back(std::move(layer));
  }
}

void BartEncoder::ensure_buffers(uint64_t rows, size_t prompt_len) {
  const uint64_t f = sizeof(float), d = spec_.hidden;
  if (rows > row_capacity_) {
    row_capacity_ = rows;
    qkv_ = ctx_.create_buffer(rows * 3 * d * f);
    attended_ = ctx_.create_buffer(rows * d * f);
    tmp_ = ctx_.create_buffer(rows * d * f);
    // The FFN's hidden rows run in row blocks that fit one storage binding (many images at once
    // of Florence-2-large would not).
    const uint64_t binding_rows = ctx_.info().max_storage_buffer_range / (uint64_t(spec_.ffn) * f);
    ffn_ = ctx_.create_buffer(std::min(rows, std::max<uint64_t>(binding_rows, 1)) * uint64_t(spec_.ffn) * f);
  }
  if (prompt_len > id_capacity_) {
    id_capacity_ = prompt_len;
    ids_ = ctx_.create_buffer(prompt_len * sizeof(int32_t));
  }
}

void BartEncoder::record(vk::Recorder& rec, BufferRef features, int feature_rows, int images,
                         std::span<const int32_t> prompt, BufferRef out) {
  const int d = spec_.hidden, prompt_len = int(prompt.size()), rows = feature_rows + prompt_len;
  if (rows > spec_.max_positions)
    throw Error("Florence-2 encoder: " + std::to_string(feature_rows) + " image tokens and a " +
                std::to_string(prompt_len) + "-token prompt exceed the " + std::to_string(spec_.max_positions) +
                " positions of the language model");
  for (int32_t id : prompt)
    if (id < 0 || id >= spec_.vocab) throw Error("Florence-2 encoder: prompt id " + std::to_string(id) + " is outside the vocabulary");
  ensure_buffers(uint64_t(images) * rows, prompt.size());
  if (prompt_len > 0) ctx_.upload(ids_, prompt.data(), prompt.size() * sizeof(int32_t));

  const uint64_t f = sizeof(float), image_floats = uint64_t(rows) * d;
  const kernels::BufferRef positions(positions_table_, uint64_t(kBartPositionOffset) * d);
  for (int i = 0; i < images; ++i) {
    const BufferRef x(*out.buffer, out.offset + i * image_floats);
    rec.copy(*features.buffer, *out.buffer, uint64_t(feature_rows) * d * f,
             (features.offset + uint64_t(i) * feature_rows * d) * f, x.offset * f);
    if (prompt_len > 0)
      kernels::record_embedding(rec, token_table_, spec_.vocab, ids_, {}, 0, {},
                                BufferRef(*x.buffer, x.offset + uint64_t(feature_rows) * d), prompt_len, d);
    kernels::record_add(rec, x, positions, x, int64_t(image_floats));
  }
  kernels::record_layer_norm(rec, layer_norm_args(embeddings_ln_, out, out, images * rows, d));
  for (const Layer& layer : layers_) record_layer(rec, layer, out, images, rows);
}

void BartEncoder::record_layer(vk::Recorder& rec, const Layer& layer, BufferRef x, int images, int rows) {
  const int d = spec_.hidden, m = images * rows, head_dim = d / spec_.heads;
  kernels::record_linear(rec, {.w = &layer.qkv, .x = x, .m = m, .y = qkv_});
  kernels::AttentionArgs attention = kernels::fused_self_attention(qkv_, attended_, images, rows, spec_.heads, head_dim);
  attention.on_host = layer.qkv.host != nullptr;  // a CPU device: with its products (kernels/linear_host.h)
  kernels::record_attention(rec, attention);
  kernels::record_linear(rec, {.w = &layer.out, .x = attended_, .m = m, .y = tmp_, .residual = x});
  kernels::record_layer_norm(rec, layer_norm_args(layer.self_norm, tmp_, x, m, d));
  const int block = int(std::min<uint64_t>(uint64_t(m), ffn_.size() / sizeof(float) / uint64_t(spec_.ffn)));
  for (int first = 0; first < m; first += block) {
    const int n = std::min(block, m - first);
    const uint64_t at = uint64_t(first) * d;
    kernels::record_linear(rec, {.w = &layer.fc1, .x = BufferRef(*x.buffer, x.offset + at), .m = n, .y = ffn_,
                                 .activation = kernels::Activation::GeluErf});
    kernels::record_linear(rec, {.w = &layer.fc2, .x = ffn_, .m = n, .y = BufferRef(tmp_, at),
                                 .residual = BufferRef(*x.buffer, x.offset + at)});
  }
  kernels::record_layer_norm(rec, layer_norm_args(layer.output_norm, tmp_, x, m, d));
}

double BartEncoder::flops(int rows) const {
  const double s = rows, d = spec_.hidden, m = spec_.ffn;
  return spec_.layers * (2 * s * d * (3 * d + d + 2 * m) + 4 * s * s * d);
}

}  // namespace vkcap::model
