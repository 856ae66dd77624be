#pragma once
// A StepModel that passes every call to the GPU decoder and keeps, after each call, the
// decoder's cross-attention probabilities of every row (all layers), filed under the row's image
// and the tokens it has been fed so far. A finished sequence then finds the weights behind each
// of its new tokens by looking up its own prefixes: new token k was chosen from the logits of
// prefix tokens[0, prompt_len + k). Because the key is the prefix, not the row, this works for
// greedy, sampling and beam search alike (beams are reordered, forked and dropped freely).
#include <map>
#include <utility>
#include <vector>

#include "api/step_adapter.h"
#include "generate/generate.h"
#include "vkcap/captioner.h"

namespace vkcap::api {

class CrossAttentionRecorder : public StepModel {
 public:
  CrossAttentionRecorder(model::CaptionModel& model, StepModel& inner);
  ~CrossAttentionRecorder() override;

  int vocab_size() const override { return inner_.vocab_size(); }
  int max_positions() const override { return inner_.max_positions(); }
  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override;
  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override;

  // The weights behind each new token of `sequence` ([steps, layers, heads, image_tokens]).
  CrossAttentionMaps maps_for(const GeneratedSequence& sequence) const;

 private:
  void capture();

  model::CaptionModel& model_;
  StepModel& inner_;
  int layers_ = 0, heads_ = 0, tokens_ = 0;
  std::vector<int> row_image_;
  std::vector<std::vector<int32_t>> row_prefix_;
  // (image, fed tokens) -> [layers, heads, image_tokens] of the step that ended with that prefix.
  std::map<std::pair<int, std::vector<int32_t>>, std::vector<float>> weights_;
};

}  // namespace vkcap::api
