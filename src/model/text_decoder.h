#pragma once
// The text decoder on the GPU, one step at a time, for every architecture: token + position
// embedding, masked self-attention over the KV cache, cross-attention to the image tokens,
// feed-forward, LM head -> logits. BLIP's decoder is a post-LayerNorm BERT (blip_decoder.cpp),
// ViT-GPT2's a pre-LayerNorm GPT-2 (gpt2_decoder.cpp); this base class holds what they share:
// the rows (images × beams), their KV caches, the per-image cross-attention K/V computed once
// per image, and the step's buffers.
#include <map>
#include <memory>
#include <vector>

#include "kernels/attention.h"
#include "kernels/linear.h"
#include "kernels/ops.h"
#include "model/weight_loader.h"
#include "model/kv_cache.h"

namespace vkcap::model {

struct DecoderSpec {
  int hidden = 768, heads = 12, layers = 12, mlp = 3072, vocab = 30524, max_positions = 512;
  int encoder_hidden = 768;  // width of the image tokens the cross-attention K/V read
  float eps = 1e-12f;
  kernels::Activation activation = kernels::Activation::GeluErf;
};

// Each row's k largest logits (descending, equal logits by lower id) and its log-softmax parts:
// stats[2r] = max, stats[2r+1] = Σ exp(logit − max). Selected on the device, so a step reads
// back k values a row instead of the vocabulary (greedy and beam search need no more).
struct TopRows {
  int k = 0;
  std::vector<int32_t> ids;   // [rows, k]
  std::vector<float> logits;  // [rows, k]
  std::vector<float> stats;   // [rows, 2]
};

class TextDecoder {
 public:
  TextDecoder(vk::Context& ctx, const DecoderSpec& spec);
  virtual ~TextDecoder() = default;

  const DecoderSpec& spec() const { return spec_; }
  // Computes every layer's cross-attention K and V for `images` images whose encoder outputs
  // [images, tokens, encoder_hidden] are in `image_tokens` (once per image, kept on the GPU).
  void set_images(const vk::Buffer& image_tokens, int images, int tokens);
  // Starts rows (row r attends to image row_image[r]) and feeds `prompt`; logits of the last
  // prompt position for every row, [rows, vocab].
  void start(const std::vector<int>& row_image, const std::vector<int32_t>& prompt, std::vector<float>& logits);
  // New row r continues old row parent[r] and is fed token[r]; logits [rows, vocab].
  void step(const std::vector<int>& parent, const std::vector<int32_t>& token, std::vector<float>& logits);
  // The same, bringing back only each row's k best logits (1 ≤ k ≤ kMaxTopK).
  void start(const std::vector<int>& row_image, const std::vector<int32_t>& prompt, int k, TopRows& top);
  void step(const std::vector<int>& parent, const std::vector<int32_t>& token, int k, TopRows& top);
  static constexpr int kMaxTopK = 64;

  int position() const { return position_; }
  // Keys each row's cross-attention reads since the last set_images(): the image tokens
  // (Florence-2: the encoder's image-feature rows, then its prompt rows).
  int cross_keys() const { return image_tokens_; }
  // Optional cross-attention probabilities of the last step, [rows, heads, cross_keys()] per layer.
  void keep_cross_attention(bool keep) { keep_cross_attention_ = keep; }
  std::vector<float> cross_attention(int layer) const;
  // Command buffers recorded so far (each replayed at its position for every later caption).
  size_t recorded_steps() const { return recorded_steps_.size(); }

 protected:
  // Records one step for all rows at position_ reading ids_/positions_, writing logits_.
  virtual void record_step(vk::Recorder& rec) = 0;
  // Projects image tokens to one layer's cross K and V ([images*tokens, hidden] each).
  virtual void record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) = 0;

  // Self-attention of the current token of every row (its query in the cache slot) over the
  // cache's keys and values at positions 0..position_.
  void record_self_attention(vk::Recorder& rec, int layer, const vk::Buffer& out, kernels::MaskMode mode,
                             float masked_value);
  void record_cross_attention(vk::Recorder& rec, int layer, const vk::Buffer& q, const vk::Buffer& out);
  // Where the fused q|k|v projection of the current token is written (in place into the cache;
  // the next row's slot is cache_row_stride() floats further).
  kernels::BufferRef cache_qkv_slot(int layer) const;
  int cache_row_stride() const { return int(cache_.row_stride()); }

  vk::Context& ctx_;
  DecoderSpec spec_;
  int rows_ = 0, position_ = 0, images_ = 0, image_tokens_ = 0;
  std::vector<int> row_image_;
  KvCache cache_;
  std::vector<vk::Buffer> cross_k_, cross_v_;  // per layer [images, tokens, hidden]
  vk::Buffer ids_, positions_, x_, tmp_, q_, attended_, mlp_, logits_, probs_;
  vk::Buffer top_ids_, top_logits_, row_stats_;  // the device-side selection of the best logits
  // A second buffer of hidden rows: with a post-norm block's layer norm folded into the next
  // linear (which writes the normalised rows while other workgroups still read the old ones),
  // BLIP's hidden state alternates between x_ and x_alt_.
  vk::Buffer x_alt_;
  bool keep_cross_attention_ = false;
  std::vector<vk::Buffer> cross_probs_;
  // Bumped whenever a buffer a recorded step refers to is replaced.
  uint64_t buffers_generation_ = 0;

 private:
  // What a step brings back: nothing (inside the prompt), whole logits rows, or the top k.
  struct StepOutput {
    std::vector<float>* logits = nullptr;
    TopRows* top = nullptr;
    int k = 0;
  };
  void ensure_row_buffers(int rows);
  void begin_rows(const std::vector<int>& row_image, const std::vector<int32_t>& prompt);
  void feed_prompt(const std::vector<int32_t>& prompt, const StepOutput& last);
  void reparent_rows(const std::vector<int>& parent);
  void run_step(const std::vector<int32_t>& token, const StepOutput& output, const std::vector<int>* parent);
  void read_output(const StepOutput& output, int selected_k);
  vk::Recorder& recorded_step(int selected_k);
  int row_capacity_ = 0, cross_capacity_ = 0;
  // Record once, submit many: one recorded command buffer per decoding position (and row
  // layout), replayed for every caption that reaches that position with the same buffers.
  // Only the token ids and positions change between replays, and they live in buffers.
  struct StepKey {
    int position, rows;
    std::vector<int> row_image;
    uint64_t cache_layout, buffers;
    bool cross_attention;
    int selected_k;  // 0: no selection recorded
    auto operator<=>(const StepKey&) const = default;
  };
  std::map<StepKey, std::unique_ptr<vk::Recorder>> recorded_steps_;
};

}  // namespace vkcap::model
