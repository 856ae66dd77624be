#pragma once
// Where each generated word looked: a StepModel decorator that keeps, after every start() and
// step(), the decoder's cross-attention probabilities of every row (all layers and heads), and
// hands back for a finished sequence the maps behind each of its new tokens.
//
// The maps of new token k are those of the decoder call whose logits chose it (its query is the
// token before it). Rows are tracked through `parent` (StepModel's contract: new row r
// continues old row parent[r] and is fed token[r]); a finished sequence is found again by
// walking its tokens backwards through the recorded calls' fed tokens and parents. That works
// for greedy, sampling and beam search alike (beams reorder, fork and drop rows freely). Two
// rows with the same image and prefix are interchangeable: their attention is identical.
//
// The keys are the decoder's: the image tokens (class token, then the patch grid) and, for
// Florence-2, the BART encoder's prompt rows after them; all are kept (CrossAttentionMaps).
#include <cstdint>
#include <span>
#include <vector>

#include "generate/generate.h"
#include "model/caption_model.h"
#include "vkcap/captioner.h"

namespace vkcap::api {

class CrossAttentionRecorder : public generate::StepModel {
 public:
  // Switches the decoder's cross-attention read-back on for the recorder's lifetime.
  CrossAttentionRecorder(model::CaptionModel& model, generate::StepModel& inner);
  ~CrossAttentionRecorder() override;
  CrossAttentionRecorder(const CrossAttentionRecorder&) = delete;
  CrossAttentionRecorder& operator=(const CrossAttentionRecorder&) = delete;

  int vocab_size() const override { return inner_.vocab_size(); }
  int max_positions() const override { return inner_.max_positions(); }
  // start() forgets the previous generation: call maps_for() before the next one.
  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override;
  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override;
  bool selects_top_logits() const override { return inner_.selects_top_logits(); }
  void start_top(std::span<const int> images, std::span<const int32_t> prompt_ids, int k, generate::TopLogits& top) override;
  void step_top(std::span<const int> parent, std::span<const int32_t> next_token, int k, generate::TopLogits& top) override;

  // The weights behind each new token of `sequence`, a result of the generation just recorded.
  CrossAttentionMaps maps_for(const generate::GeneratedSequence& sequence) const;

 private:
  // One start() or step(): the rows it produced and their probabilities.
  struct Call {
    std::vector<int> parent;      // empty for start()
    std::vector<int32_t> token;   // token fed to each row (empty for start())
    std::vector<int> image;       // image of each row
    std::vector<float> weights;   // [rows, layers, heads, keys_]
  };
  void record_start(std::span<const int> images);
  void record_step(std::span<const int> parent, std::span<const int32_t> next_token);
  void capture(Call& call) const;
  // The row of every call that produced `sequence`'s new tokens, first call first.
  std::vector<int> rows_of(const generate::GeneratedSequence& sequence) const;

  model::CaptionModel& model_;
  generate::StepModel& inner_;
  int layers_ = 0, heads_ = 0;
  int image_tokens_ = 0;  // class token + patches
  int keys_ = 0;          // the decoder's cross-attention keys in the recorded generation
  std::vector<Call> calls_;
};

}  // namespace vkcap::api
