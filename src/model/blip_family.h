#pragma once
// BlipForConditionalGeneration: BLIP's ViT and its BERT-style decoder (blip_decoder.h), with
// [DEC] as the first decoder input and WordPiece tokens.
#include "model/vit_encoder_family.h"

namespace vkcap::model {

class BlipFamily : public VitEncoderFamily {
 public:
  explicit BlipFamily(const FamilySources& sources);

  std::string architecture_name() const override { return "BlipForConditionalGeneration"; }
  std::vector<int32_t> decoder_prompt(const std::string& prompt) const override;
  // The BLIP authors' demo: generate(image, sample=False, num_beams=3, max_length=20, min_length=5).
  GenerationDefaults card_generation() const override { return {.num_beams = 3, .max_length = 20, .min_length = 5}; }
};

}  // namespace vkcap::model
