#pragma once
// A GPU text decoder seen through generation's StepModel interface.
#include "generate/step_model.h"
#include "model/caption_model.h"
#include "model/text_decoder.h"

namespace vkcap::api {

class DecoderStepModel : public StepModel {
 public:
  explicit DecoderStepModel(model::TextDecoder& decoder) : decoder_(decoder) {}
  explicit DecoderStepModel(model::CaptionModel& model) : DecoderStepModel(model.decoder()) {}
  int vocab_size() const override { return decoder_.spec().vocab; }
  int max_positions() const override { return decoder_.spec().max_positions; }
  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override {
    decoder_.start({images.begin(), images.end()}, {prompt_ids.begin(), prompt_ids.end()}, logits);
  }
  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override {
    decoder_.step({parent.begin(), parent.end()}, {next_token.begin(), next_token.end()}, logits);
  }

 private:
  model::TextDecoder& decoder_;
};

}  // namespace vkcap::api
