#pragma once
// What BLIP and ViT-GPT2 share as families: a ViT image encoder (vision_encoder.h) whose image
// tokens, optionally projected to the decoder's width, are what a text decoder attends to. The
// two differ in the encoder's weight names, the decoder and the prompt (blip_family.h,
// vit_gpt2_family.h).
#include <memory>
#include <optional>

#include "kernels/linear.h"
#include "model/model_family.h"
#include "model/vision_encoder.h"

namespace vkcap::model {

class VitEncoderFamily : public ModelFamily {
 public:
  std::vector<float> pixel_values(const image::Image& image) const override;
  void encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt) override;
  std::vector<float> encoder_output(int image, bool raw) const override;
  EncoderFlops encoder_flops(int encoder_prompt_tokens) const override;
  int image_tokens() const override { return encoder_.spec().tokens(); }
  int patch_grid() const override { return encoder_.spec().grid(); }
  TextDecoder& decoder() override { return *decoder_; }

 protected:
  // Builds the encoder; the subclass then adds its projection (if any) and its decoder.
  VitEncoderFamily(const FamilySources& sources, VisionNaming naming);

  static kernels::Activation kernel_activation(Activation activation);

  VisionEncoder encoder_;
  std::optional<kernels::PackedWeight> projection_;  // encoder width → decoder width
  std::unique_ptr<TextDecoder> decoder_;

 private:
  vk::Buffer pixels_, encoded_, projected_;
  int images_ = 0;  // capacity of the buffers, in images
};

}  // namespace vkcap::model
