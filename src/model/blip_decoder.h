#pragma once
// BLIP's text decoder (BlipTextLMHeadModel): a post-LayerNorm BERT with cross-attention in every
// layer (post_norm_decoder.h) and an untied LM head (docs/parity.md, "The networks"):
//   x = LN(word[id] + pos[p])
//   per layer: x = LN(x + Wo·SelfAttn(x));  x = LN(x + Wo'·CrossAttn(x, image));  x = LN(x + W2·gelu(W1·x))
//   logits = Wdec · LN(gelu(Wt·x + bt)) + bias
#include "model/post_norm_decoder.h"

namespace vkcap::model {

class BlipDecoder : public PostNormDecoder {
 public:
  BlipDecoder(const WeightLoader& weights, const DecoderSpec& spec);

 protected:
  void record_step(vk::Recorder& rec) override;

 private:
  vk::Buffer word_embeddings_, position_embeddings_;
  LayerNormWeights embeddings_ln_;
  kernels::PackedWeight transform_, lm_head_;
  LayerNormWeights transform_ln_;
};

}  // namespace vkcap::model
