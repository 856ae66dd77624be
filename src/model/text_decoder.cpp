#include "model/text_decoder.h"

#include <algorithm>
#include <cmath>

#include "kernels/linear_host.h"
#include "util/error.h"

namespace vkcap::model {

using kernels::BufferRef;

TextDecoder::TextDecoder(vk::Context& ctx, const DecoderSpec& spec)
    : ctx_(ctx), spec_(spec), cache_(ctx, spec.layers, spec.hidden) {}

void TextDecoder::ensure_row_buffers(int rows) {
  if (rows <= row_capacity_) return;
  row_capacity_ = rows;
  ++buffers_generation_;
  recorded_steps_.clear();
  const uint64_t f = sizeof(float), d = spec_.hidden;
  ids_ = ctx_.create_buffer(rows * sizeof(int32_t));
  positions_ = ctx_.create_buffer(rows * sizeof(int32_t));
  x_ = ctx_.create_buffer(rows * d * f);
  x_alt_ = ctx_.create_buffer(rows * d * f);
  tmp_ = ctx_.create_buffer(rows * d * f);
  q_ = ctx_.create_buffer(rows * d * f);
  attended_ = ctx_.create_buffer(rows * d * f);
  mlp_ = ctx_.create_buffer(rows * uint64_t(std::max(spec_.mlp, spec_.hidden)) * f);
  logits_ = ctx_.create_buffer(rows * uint64_t(spec_.vocab) * f);
  top_ids_ = ctx_.create_buffer(rows * uint64_t(kMaxTopK) * sizeof(int32_t));
  top_logits_ = ctx_.create_buffer(rows * uint64_t(kMaxTopK) * f);
  row_stats_ = ctx_.create_buffer(rows * 2 * f);
}

void TextDecoder::set_images(const vk::Buffer& image_tokens, int images, int tokens) {
  images_ = images;
  if (tokens != image_tokens_ || images > cross_capacity_) {
    // New buffers only when more images arrive than ever before: recorded steps stay valid.
    cross_capacity_ = std::max(images, cross_capacity_);
    cross_k_.clear();
    cross_v_.clear();
    const uint64_t bytes = uint64_t(cross_capacity_) * tokens * spec_.hidden * sizeof(float);
    for (int l = 0; l < spec_.layers; ++l) {
      cross_k_.push_back(ctx_.create_buffer(bytes));
      cross_v_.push_back(ctx_.create_buffer(bytes));
    }
    ++buffers_generation_;
    recorded_steps_.clear();
  }
  image_tokens_ = tokens;
  vk::Recorder rec(ctx_);
  for (int l = 0; l < spec_.layers; ++l) record_cross_kv(rec, image_tokens, images * tokens, l);
  rec.submit();
}

BufferRef TextDecoder::cache_qkv_slot(int layer) const {
  return BufferRef(cache_.slots(layer), uint64_t(position_) * cache_.position_stride());
}

void TextDecoder::record_self_attention(vk::Recorder& rec, int layer, const vk::Buffer& out, kernels::MaskMode mode,
                                        float masked_value) {
  const vk::Buffer& slots = cache_.slots(layer);
  kernels::AttentionArgs a;
  a.q = BufferRef(slots, uint64_t(position_) * cache_.position_stride() + cache_.query_offset());
  a.k = BufferRef(slots, cache_.key_offset());
  a.v = BufferRef(slots, cache_.value_offset());
  a.out = out;
  a.batch = rows_;
  a.lq = 1;
  a.lk = position_ + 1;
  a.heads = spec_.heads;
  a.head_dim = spec_.hidden / spec_.heads;
  a.q_row_stride = a.k_row_stride = a.v_row_stride = int(cache_.position_stride());
  a.q_batch_stride = a.k_batch_stride = a.v_batch_stride = cache_.row_stride();
  a.out_batch_stride = spec_.hidden;
  a.scale = 1.0f / std::sqrt(float(a.head_dim));
  // One query at position p sees keys 0..p: exactly the causal mask's visible set.
  a.mask = kernels::MaskKind::Causal;
  a.causal_offset = position_;
  a.mask_mode = mode;
  a.masked_value = masked_value;
  kernels::record_attention(rec, a);
}

void TextDecoder::record_cross_attention(vk::Recorder& rec, int layer, const vk::Buffer& q, const vk::Buffer& out) {
  // Rows of one image are contiguous (images × beams, in order): one dispatch per run of rows
  // sharing an image, each reading that image's K/V.
  const int d = spec_.hidden;
  int begin = 0;
  while (begin < rows_) {
    int end = begin + 1;
    while (end < rows_ && row_image_[end] == row_image_[begin]) ++end;
    const uint64_t image_offset = uint64_t(row_image_[begin]) * image_tokens_ * d;
    kernels::AttentionArgs a;
    a.q = BufferRef(q, uint64_t(begin) * d);
    a.k = BufferRef(cross_k_[layer], image_offset);
    a.v = BufferRef(cross_v_[layer], image_offset);
    a.out = BufferRef(out, uint64_t(begin) * d);
    a.batch = end - begin;
    a.kv_batch_divisor = end - begin;
    a.lq = 1;
    a.lk = image_tokens_;
    a.heads = spec_.heads;
    a.head_dim = d / spec_.heads;
    a.q_batch_stride = a.out_batch_stride = d;
    a.k_batch_stride = a.v_batch_stride = int64_t(image_tokens_) * d;
    a.scale = 1.0f / std::sqrt(float(a.head_dim));
    if (keep_cross_attention_) a.probs = BufferRef(cross_probs_[layer], uint64_t(begin) * spec_.heads * image_tokens_);
    a.on_host = !keep_cross_attention_ && kernels::host_products_enabled(ctx_);
    if (a.on_host) {
      // The run's rows (beams of one image) as the query rows of one sequence: each head's K/V
      // is then read once for all of them, not once per beam.
      a.lq = a.batch;
      a.batch = a.kv_batch_divisor = 1;
      a.q_row_stride = a.out_row_stride = d;
    }
    kernels::record_attention(rec, a);
    begin = end;
  }
}

std::vector<float> TextDecoder::cross_attention(int layer) const {
  std::vector<float> out(size_t(rows_) * spec_.heads * image_tokens_);
  if (!keep_cross_attention_ || layer >= int(cross_probs_.size())) return {};
  const_cast<vk::Context&>(ctx_).download(cross_probs_[layer], out.data(), out.size() * sizeof(float));
  return out;
}

void TextDecoder::run_step(const std::vector<int32_t>& token, const StepOutput& output,
                           const std::vector<int>* parent) {
  if (position_ >= spec_.max_positions)
    throw Error("the caption reached the decoder's position limit (" + std::to_string(spec_.max_positions) + ")");
  cache_.ensure_capacity(position_ + 1, rows_);
  if (keep_cross_attention_) {
    cross_probs_.resize(spec_.layers);
    for (auto& p : cross_probs_)
      if (!p || p.size() < uint64_t(rows_) * spec_.heads * image_tokens_ * 4) {
        p = ctx_.create_buffer(uint64_t(rows_) * spec_.heads * image_tokens_ * 4);
        ++buffers_generation_;
      }
  }
  if (parent) {
    vk::Recorder reorder(ctx_);
    cache_.reorder(reorder, *parent, position_);
    reorder.submit();
  }
  std::vector<int32_t> pos(rows_, position_);
  ctx_.upload(ids_, token.data(), token.size() * sizeof(int32_t));
  ctx_.upload(positions_, pos.data(), pos.size() * sizeof(int32_t));
  // The selection's k is rounded up to a multiple of 8 so that a handful of recorded variants
  // serve every k a search asks for; the extra candidates are simply not read.
  const int selected_k = output.top ? std::min({kMaxTopK, spec_.vocab, (output.k + 7) / 8 * 8}) : 0;
  recorded_step(selected_k).submit();
  read_output(output, selected_k);
  ++position_;
}

void TextDecoder::read_output(const StepOutput& output, int selected_k) {
  if (output.logits) {
    output.logits->resize(size_t(rows_) * spec_.vocab);
    ctx_.download(logits_, output.logits->data(), output.logits->size() * sizeof(float));
  }
  if (!output.top) return;
  TopRows& top = *output.top;
  const size_t rows = size_t(rows_), k = size_t(output.k), stride = size_t(selected_k);
  std::vector<int32_t> ids(rows * stride);
  std::vector<float> logits(rows * stride);
  ctx_.download(top_ids_, ids.data(), ids.size() * sizeof(int32_t));
  ctx_.download(top_logits_, logits.data(), logits.size() * sizeof(float));
  top.k = output.k;
  top.ids.resize(rows * k);
  top.logits.resize(rows * k);
  for (size_t r = 0; r < rows; ++r)
    for (size_t i = 0; i < k; ++i) {
      top.ids[r * k + i] = ids[r * stride + i];
      top.logits[r * k + i] = logits[r * stride + i];
    }
  top.stats.resize(rows * 2);
  ctx_.download(row_stats_, top.stats.data(), top.stats.size() * sizeof(float));
}

vk::Recorder& TextDecoder::recorded_step(int selected_k) {
  StepKey key{position_, rows_, row_image_, cache_.layout_id(), buffers_generation_, keep_cross_attention_, selected_k};
  // Layouts that never come back (beam rows of finished images...) must not pile up.
  if (recorded_steps_.size() >= 512 && !recorded_steps_.count(key)) recorded_steps_.clear();
  auto& slot = recorded_steps_[key];
  if (!slot) {
    slot = std::make_unique<vk::Recorder>(ctx_);
    record_step(*slot);
    if (selected_k > 0) {
      kernels::record_topk(*slot, BufferRef(logits_), rows_, spec_.vocab, selected_k, BufferRef(top_logits_),
                           BufferRef(top_ids_));
      kernels::record_softmax_stats(*slot, BufferRef(logits_), rows_, spec_.vocab, BufferRef(row_stats_));
    }
  }
  return *slot;
}

void TextDecoder::begin_rows(const std::vector<int>& row_image, const std::vector<int32_t>& prompt) {
  if (prompt.empty()) throw Error("internal: empty decoder prompt");
  for (int image : row_image)
    if (image < 0 || image >= images_) throw Error("internal: row refers to image " + std::to_string(image));
  rows_ = int(row_image.size());
  row_image_ = row_image;
  position_ = 0;
  ensure_row_buffers(rows_);
  cache_.reset(rows_, 32);
}

void TextDecoder::feed_prompt(const std::vector<int32_t>& prompt, const StepOutput& last) {
  // The prompt is fed one position at a time: causal attention makes that identical to one
  // pass over the whole prompt, and prompts are a handful of tokens. Only the last position's
  // logits are read.
  for (size_t i = 0; i < prompt.size(); ++i)
    run_step(std::vector<int32_t>(rows_, prompt[i]), i + 1 == prompt.size() ? last : StepOutput{}, nullptr);
}

void TextDecoder::reparent_rows(const std::vector<int>& parent) {
  std::vector<int> row_image(parent.size());
  for (size_t r = 0; r < parent.size(); ++r) {
    if (parent[r] < 0 || parent[r] >= rows_) throw Error("internal: bad parent row");
    row_image[r] = row_image_[parent[r]];
  }
  const int old_rows = rows_;
  rows_ = int(parent.size());
  ensure_row_buffers(std::max(rows_, old_rows));
  cache_.ensure_capacity(position_ + 1, std::max(rows_, old_rows));
  row_image_ = row_image;
}

void TextDecoder::start(const std::vector<int>& row_image, const std::vector<int32_t>& prompt,
                        std::vector<float>& logits) {
  begin_rows(row_image, prompt);
  feed_prompt(prompt, {&logits, nullptr, 0});
}

void TextDecoder::start(const std::vector<int>& row_image, const std::vector<int32_t>& prompt, int k, TopRows& top) {
  if (k < 1 || k > std::min(kMaxTopK, spec_.vocab)) throw Error("internal: top-k selection of " + std::to_string(k));
  begin_rows(row_image, prompt);
  feed_prompt(prompt, {nullptr, &top, k});
}

void TextDecoder::step(const std::vector<int>& parent, const std::vector<int32_t>& token, std::vector<float>& logits) {
  if (parent.size() != token.size()) throw Error("internal: parent and token counts differ");
  reparent_rows(parent);
  run_step(token, {&logits, nullptr, 0}, &parent);
}

void TextDecoder::step(const std::vector<int>& parent, const std::vector<int32_t>& token, int k, TopRows& top) {
  if (parent.size() != token.size()) throw Error("internal: parent and token counts differ");
  if (k < 1 || k > std::min(kMaxTopK, spec_.vocab)) throw Error("internal: top-k selection of " + std::to_string(k));
  reparent_rows(parent);
  run_step(token, {nullptr, &top, k}, &parent);
}

}  // namespace vkcap::model
