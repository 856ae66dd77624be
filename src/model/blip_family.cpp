#include "model/blip_family.h"

#include "model/blip_decoder.h"
#include "model/decoder_prompt.h"

namespace vkcap::model {

BlipFamily::BlipFamily(const FamilySources& sources) : VitEncoderFamily(sources, VisionNaming::Blip) {
  const BlipTextConfig& t = config_.blip_text;
  const DecoderSpec spec{t.hidden_size,
                         t.num_attention_heads,
                         t.num_hidden_layers,
                         t.intermediate_size,
                         t.vocab_size,
                         t.max_position_embeddings,
                         config_.vision.hidden_size,
                         t.layer_norm_eps,
                         kernel_activation(t.hidden_act)};
  decoder_ = std::make_unique<BlipDecoder>(sources.weights, spec);
  text::add_blip_special_tokens(tokenizer_);
}

std::vector<int32_t> BlipFamily::decoder_prompt(const std::string& prompt) const {
  return decoder_prompt_for_blip(
      prompt.empty() ? std::vector<int32_t>{} : tokenizer_.encode(prompt, /*add_special_tokens=*/true),
      config_.decoder_start_token_id);
}

}  // namespace vkcap::model
