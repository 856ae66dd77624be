#include "model/vit_gpt2_family.h"

#include "model/decoder_prompt.h"
#include "model/gpt2_decoder.h"

namespace vkcap::model {

VitGpt2Family::VitGpt2Family(const FamilySources& sources) : VitEncoderFamily(sources, VisionNaming::Vit) {
  const Gpt2Config& g = config_.gpt2;
  const DecoderSpec spec{g.n_embd,      g.n_head, g.n_layer,           g.n_inner,
                         g.vocab_size,  g.n_positions, g.n_embd,       g.layer_norm_epsilon,
                         kernel_activation(g.activation_function)};
  if (config_.has_enc_to_dec_proj)
    projection_ = sources.weights.linear("enc_to_dec_proj", g.n_embd, config_.vision.hidden_size);
  decoder_ = std::make_unique<Gpt2Decoder>(sources.weights, spec);
}

std::vector<int32_t> VitGpt2Family::decoder_prompt(const std::string& prompt) const {
  return decoder_prompt_for_vitgpt2(tokenizer_.encode(prompt, /*add_special_tokens=*/false),
                                    config_.decoder_start_token_id);
}

}  // namespace vkcap::model
