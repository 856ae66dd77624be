#pragma once
// A captioning model loaded from a Hugging Face directory: its config, tokenizer, image
// preprocessing and, with its weights on the GPU, its family (model_family.h: BLIP, ViT-GPT2 or
// Florence-2), which does everything that differs between them.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "image/image.h"
#include "image/preprocess.h"
#include "kernels/linear.h"
#include "model/config.h"
#include "model/model_family.h"
#include "text/tokenizer.h"
#include "vk/context.h"

namespace vkcap::model {

class Florence2Model;

struct ModelOptions {
  kernels::WeightType weights = kernels::WeightType::F32;
  // Benchmarks: ignore the checkpoint and use random weights of the config's shapes.
  std::optional<uint64_t> random_weights_seed;
};

class CaptionModel {
 public:
  CaptionModel(vk::Context& ctx, const std::filesystem::path& dir, const ModelOptions& options = {});
  ~CaptionModel();

  const std::filesystem::path& directory() const { return dir_; }
  const ModelConfig& config() const { return config_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const image::PreprocessConfig& preprocess_config() const { return preprocess_; }
  std::string architecture_name() const { return family_->architecture_name(); }
  uint64_t parameter_count() const { return parameters_; }
  uint64_t device_bytes() const;

  // pixel_values of one image, as the model's image processor makes them.
  std::vector<float> pixel_values(const image::Image& image) const { return family_->pixel_values(image); }
  // Runs the encoder on each image's pixel_values (CHW) and computes every decoder layer's
  // cross-attention K/V, making those images the decoder's images 0..n-1. Florence-2's encoder
  // also reads the task prompt's ids (task_prompt().encoder_prompt); the other families have none.
  void encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt = {}) {
    family_->encode(pixels, encoder_prompt);
  }
  // Encoder output of image i of the last encode() ([tokens, hidden]; after enc_to_dec_proj when
  // the model has one, before it when raw = true).
  std::vector<float> encoder_output(int image, bool raw = false) const { return family_->encoder_output(image, raw); }
  const EncodeTimings& last_encode_timings() const { return family_->last_encode_timings(); }
  EncoderFlops encoder_flops(int encoder_prompt_tokens = 0) const { return family_->encoder_flops(encoder_prompt_tokens); }
  // Image tokens the decoder attends to (Florence-2: the image features, before the prompt rows).
  int image_tokens() const { return family_->image_tokens(); }
  int patch_grid() const { return family_->patch_grid(); }
  const ModelFamily& family() const { return *family_; }
  // For Florence-2-only tools: the family's model, or nullptr for other families.
  bool is_florence2() const { return florence2() != nullptr; }
  const Florence2Model* florence2() const;

  TextDecoder& decoder() { return family_->decoder(); }
  // The decoder's first input for an optional text prompt (BLIP: [DEC] + prompt tokens; ViT-GPT2:
  // start token + prompt tokens; Florence-2: the start token, its prompt goes to the encoder).
  std::vector<int32_t> decoder_prompt(const std::string& prompt) const { return family_->decoder_prompt(prompt); }
  // A task's encoder prompt and token (empty task: the family's default; none for families
  // without tasks, which refuse one).
  TaskPrompt task_prompt(const std::string& task, const std::string& task_text) const {
    return family_->task_prompt(task, task_text);
  }
  // The generation stop and pad tokens.
  int32_t eos_token_id() const { return config_.eos_token_id; }
  int32_t pad_token_id() const { return config_.pad_token_id; }

 private:
  vk::Context& ctx_;
  std::filesystem::path dir_;
  ModelConfig config_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  image::PreprocessConfig preprocess_;
  std::unique_ptr<ModelFamily> family_;
  uint64_t parameters_ = 0;
};

}  // namespace vkcap::model
