#pragma once
// Where each generated word looked: a StepModel decorator that keeps the decoder's
// cross-attention after every start()/step() and hands back, for a finished sequence, one map
// per new token.
//
// The map of new token k is the cross-attention of the decoder step whose logits chose it (the
// query is the token before it), averaged over heads, for one layer or the mean over layers:
//   map_k[j] = 1/H Σ_h p_h(q_k, image token j)          (one layer)
//   map_k[j] = 1/(L·H) Σ_l Σ_h p_lh(q_k, image token j)  (--attention-layer mean)
// Image token 0 is the encoder's class token, tokens 1.. the patch grid in row-major order, so
// every map sums to 1 over class token + patches.
//
// Rows are tracked through `parent` (StepModel's contract: new row r continues old row
// parent[r] and is fed token[r]). A finished sequence is found again by walking its tokens
// backwards through the fed tokens and parents of the recorded calls, which works for greedy,
// sampling and beam search (beams reorder, fork and drop rows freely). Two rows with the same
// image and prefix are interchangeable: their attention is identical.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "api/step_adapter.h"
#include "generate/generate.h"
#include "model/caption_model.h"

namespace vkcap::cli {

// Which decoder layer a map shows: 0 … layers-1, or kMeanOverLayers.
inline constexpr int kMeanOverLayers = -1;

// "mean", "last", or a layer index 0 … layers-1 (negative counts from the end: -1 = last).
// Throws vkcap::Error naming --attention-layer and the value.
int parse_attention_layer(const std::string& text, int layers);
std::string attention_layer_name(int layer);  // "mean" or the index

struct TokenAttention {
  int32_t token = 0;
  float cls = 0;                // weight on the class token
  std::vector<float> patches;   // grid_rows × grid_cols, row-major; cls + Σ patches = 1
};

class AttentionCapture : public StepModel {
 public:
  // Switches the decoder's cross-attention read-back on for the capture's lifetime.
  AttentionCapture(model::CaptionModel& model, StepModel& inner, int layer = kMeanOverLayers);
  ~AttentionCapture() override;
  AttentionCapture(const AttentionCapture&) = delete;
  AttentionCapture& operator=(const AttentionCapture&) = delete;

  int vocab_size() const override { return inner_.vocab_size(); }
  int max_positions() const override { return inner_.max_positions(); }
  // start() forgets the previous generation: call maps_for() before the next one.
  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override;
  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override;

  // One map per new token of `sequence` (a result of the generation this capture watched).
  std::vector<TokenAttention> maps_for(const GeneratedSequence& sequence) const;

  int layer() const { return layer_; }
  int grid_rows() const { return grid_; }
  int grid_cols() const { return grid_; }

 private:
  // One start() or step(): the rows it produced and, per row, its head/layer-reduced map.
  struct Call {
    std::vector<int> parent;        // empty for start()
    std::vector<int32_t> token;     // fed token per row (empty for start())
    std::vector<int> image;         // image of each row
    std::vector<float> maps;        // [rows, image_tokens]
  };
  void capture(Call& call) const;

  model::CaptionModel& model_;
  StepModel& inner_;
  int layer_, layers_, heads_, tokens_, grid_;
  std::vector<Call> calls_;
};

}  // namespace vkcap::cli
