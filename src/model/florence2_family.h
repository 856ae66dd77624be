#pragma once
// Florence2ForConditionalGeneration as a family: the DaViT + BART model (florence2_model.h) at
// the processor's fixed image size, tasks whose prompt the encoder reads (text/florence2_tasks.h)
// and answers read back into text or regions (text/florence2_postprocess.h).
#include <memory>

#include "model/florence2_model.h"
#include "model/model_family.h"

namespace vkcap::model {

class Florence2Family : public ModelFamily {
 public:
  explicit Florence2Family(const FamilySources& sources);

  const Florence2Model& model() const { return *model_; }

  std::string architecture_name() const override { return "Florence2ForConditionalGeneration (davit + bart)"; }
  std::vector<float> pixel_values(const image::Image& image) const override;
  void encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt) override;
  std::vector<float> encoder_output(int image, bool raw) const override;
  EncoderFlops encoder_flops(int encoder_prompt_tokens) const override;
  int image_tokens() const override { return model_->feature_rows(); }
  int patch_grid() const override { return model_->vision().grid_width(); }
  TextDecoder& decoder() override { return model_->decoder(); }

  // The decoder starts from its start token alone: the prompt is the task's, read by the encoder.
  std::vector<int32_t> decoder_prompt(const std::string& prompt) const override;
  // By CLI name or token; the default task is "caption".
  TaskPrompt task_prompt(const std::string& task, const std::string& task_text) const override;
  // Its generate() is the language model's, whose generation config is text_config.
  GenerationDefaults checkpoint_generation() const override;
  // The card's generate call (and every user's) asks for up to 1024 new tokens.
  GenerationDefaults card_generation() const override { return {.max_new_tokens = 1024}; }
  std::string default_preset() const override { return "card"; }
  std::optional<TaskAnswer> answer(std::span<const int32_t> generated_ids, const std::string& task_token, int width,
                                   int height) const override;

 private:
  std::unique_ptr<Florence2Model> model_;
};

}  // namespace vkcap::model
