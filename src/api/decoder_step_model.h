#pragma once
// The GPU text decoder of a CaptionModel seen through generation's StepModel interface.
#include "generate/step_model.h"
#include "model/caption_model.h"

namespace vkcap::api {

class DecoderStepModel : public StepModel {
 public:
  explicit DecoderStepModel(model::CaptionModel& model) : model_(model) {}
  int vocab_size() const override { return model_.config().decoder_vocab_size(); }
  int max_positions() const override { return model_.config().max_positions(); }
  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override {
    model_.decoder().start({images.begin(), images.end()}, {prompt_ids.begin(), prompt_ids.end()}, logits);
  }
  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override {
    model_.decoder().step({parent.begin(), parent.end()}, {next_token.begin(), next_token.end()}, logits);
  }

 private:
  model::CaptionModel& model_;
};

}  // namespace vkcap::api
