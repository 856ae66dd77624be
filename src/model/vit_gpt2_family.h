#pragma once
// VisionEncoderDecoderModel with a ViT encoder and a GPT-2 decoder with cross-attention
// (gpt2_decoder.h), the encoder's tokens projected to GPT-2's width when the two differ, and
// byte-level BPE tokens.
#include "model/vit_encoder_family.h"

namespace vkcap::model {

class VitGpt2Family : public VitEncoderFamily {
 public:
  explicit VitGpt2Family(const FamilySources& sources);

  std::string architecture_name() const override { return "VisionEncoderDecoderModel (vit + gpt2)"; }
  std::vector<int32_t> decoder_prompt(const std::string& prompt) const override;
  // The nlpconnect card's gen_kwargs.
  GenerationDefaults card_generation() const override { return {.num_beams = 4, .max_length = 16}; }
};

}  // namespace vkcap::model
