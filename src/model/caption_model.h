#pragma once
// A captioning model loaded from a Hugging Face directory: its config, tokenizer, image
// preprocessing, the image encoder and the text decoder, with weights on the GPU. A model is a
// plan of kernel calls over named weights: vision_encoder.cpp and the decoders say which;
// Florence-2 (DaViT + BART) is florence2_model.cpp.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "image/image.h"
#include "image/preprocess.h"
#include "kernels/linear.h"
#include "model/config.h"
#include "model/florence2_model.h"
#include "model/text_decoder.h"
#include "model/vision_encoder.h"
#include "text/tokenizer.h"
#include "vk/context.h"

namespace vkcap::model {

class WeightLoader;

struct ModelOptions {
  kernels::WeightType weights = kernels::WeightType::F32;
  // Benchmarks: ignore the checkpoint and use random weights of the config's shapes.
  std::optional<uint64_t> random_weights_seed;
};

// Wall time of the last encode(): the vision encoder, and the per-layer cross-attention K/V.
// Florence-2 also splits its encoder_ms into the vision tower (with the projector) and the BART
// encoder; both 0 for the other families.
struct EncodeTimings {
  double encoder_ms = 0, cross_kv_ms = 0;
  double vision_ms = 0, text_encoder_ms = 0;
};

class CaptionModel {
 public:
  CaptionModel(vk::Context& ctx, const std::filesystem::path& dir, const ModelOptions& options = {});
  ~CaptionModel();

  const std::filesystem::path& directory() const { return dir_; }
  const ModelConfig& config() const { return config_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const image::PreprocessConfig& preprocess_config() const { return preprocess_; }
  std::string architecture_name() const;
  uint64_t parameter_count() const { return parameters_; }
  uint64_t device_bytes() const;

  // pixel_values of one image, as the model's image processor makes them.
  std::vector<float> pixel_values(const image::Image& image) const;
  // Runs the encoder on each image's pixel_values (CHW) and computes every decoder layer's
  // cross-attention K/V, making those images the decoder's images 0..n-1. Florence-2's encoder
  // also reads the task prompt's ids (encoder_prompt); the other families have none.
  void encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt = {});
  // Encoder output of image i of the last encode() ([tokens, hidden]; after enc_to_dec_proj when
  // the model has one, before it when raw = true).
  std::vector<float> encoder_output(int image, bool raw = false) const;
  const EncodeTimings& last_encode_timings() const { return timings_; }
  double encoder_flops() const { return florence2_ ? florence2_->encoder_flops(0) : encoder_->flops(); }
  // Image tokens the decoder attends to (Florence-2: the image features, before the prompt rows).
  int image_tokens() const { return florence2_ ? florence2_->feature_rows() : encoder_->spec().tokens(); }
  int patch_grid() const { return florence2_ ? florence2_->vision().grid_width() : encoder_->spec().grid(); }
  bool is_florence2() const { return florence2_ != nullptr; }
  const Florence2Model* florence2() const { return florence2_.get(); }

  TextDecoder& decoder() { return florence2_ ? florence2_->decoder() : *decoder_; }
  // The decoder's first input for an optional text prompt (BLIP: [DEC] + prompt tokens; ViT-GPT2:
  // start token + prompt tokens; Florence-2: the start token, its prompt goes to the encoder),
  // and the generation stop / pad tokens.
  std::vector<int32_t> decoder_prompt(const std::string& prompt) const;
  int32_t eos_token_id() const { return config_.eos_token_id; }
  int32_t pad_token_id() const { return config_.pad_token_id; }

 private:
  // The encoder and decoder layers with their weights on the device.
  void build_layers(WeightLoader& weights);

  vk::Context& ctx_;
  std::filesystem::path dir_;
  ModelConfig config_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  image::PreprocessConfig preprocess_;
  std::unique_ptr<VisionEncoder> encoder_;
  std::unique_ptr<TextDecoder> decoder_;
  std::unique_ptr<Florence2Model> florence2_;  // instead of encoder_ and decoder_
  kernels::PackedWeight enc_to_dec_proj_;
  vk::Buffer pixels_, encoded_, projected_;
  int images_ = 0;
  EncodeTimings timings_;
  uint64_t parameters_ = 0;
};

}  // namespace vkcap::model
