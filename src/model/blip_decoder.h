#pragma once
// BLIP's text decoder (BlipTextLMHeadModel): a post-LayerNorm BERT with cross-attention in every
// layer and an untied LM head (docs/parity.md, "The networks"):
//   x = LN(word[id] + pos[p])
//   per layer: x = LN(x + Wo·SelfAttn(x));  x = LN(x + Wo'·CrossAttn(x, image));  x = LN(x + W2·gelu(W1·x))
//   logits = Wdec · LN(gelu(Wt·x + bt)) + bias
#include "model/text_decoder.h"

namespace vkcap::model {

class BlipDecoder : public TextDecoder {
 public:
  BlipDecoder(const WeightLoader& weights, const DecoderSpec& spec);

 protected:
  void record_step(vk::Recorder& rec) override;
  void record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) override;

 private:
  struct Layer {
    kernels::PackedWeight qkv, self_out;  // qkv: query, key and value stacked (3·d outputs)
    LayerNormWeights self_ln;
    kernels::PackedWeight cross_query, cross_key, cross_value, cross_out;
    LayerNormWeights cross_ln;
    kernels::PackedWeight intermediate, output;
    LayerNormWeights output_ln;
  };
  vk::Buffer word_embeddings_, position_embeddings_;
  LayerNormWeights embeddings_ln_;
  std::vector<Layer> layers_;
  kernels::PackedWeight transform_, lm_head_;
  LayerNormWeights transform_ln_;
};

}  // namespace vkcap::model
