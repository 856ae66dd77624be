#pragma once
// GPT-2 with cross-attention, the decoder of ViT-GPT2 (docs/parity.md), pre-LayerNorm:
//   x = wte[id] + wpe[p]
//   per layer: x += c_proj(SelfAttn(ln_1(x)));  x += c_proj'(CrossAttn(ln_cross_attn(x), image));
//              x += c_proj''(gelu_new(c_fc(ln_2(x))))
//   logits = ln_f(x) · wteᵀ   (tied LM head)
// Conv1D weights are stored [in, out]; c_attn's q|k|v (and the cross c_attn's k|v) are split
// into separate projections at load time.
#include "model/text_decoder.h"

namespace vkcap::model {

class Gpt2Decoder : public TextDecoder {
 public:
  Gpt2Decoder(const WeightLoader& weights, const DecoderSpec& spec);

 protected:
  void record_step(vk::Recorder& rec) override;
  void record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) override;

 private:
  struct Layer {
    LayerNormWeights ln_1, ln_cross, ln_2;
    kernels::PackedWeight qkv, proj;  // qkv: c_attn whole (query, key, value: 3·c outputs)
    kernels::PackedWeight cross_query, cross_key, cross_value, cross_proj;
    kernels::PackedWeight fc, fc_proj;
  };
  vk::Buffer wte_, wpe_;
  std::vector<Layer> layers_;
  LayerNormWeights ln_f_;
  kernels::PackedWeight lm_head_;
};

}  // namespace vkcap::model
