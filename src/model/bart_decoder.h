#pragma once
// BART's decoder as Florence-2 uses it (Florence2Decoder + the LM head of
// Florence2LanguageForConditionalGeneration), post-LayerNorm (post_norm_decoder.h):
//   x = LN(shared[id] + pos[p + 2])        learned positions, offset 2; embed_scale 1
//   per layer: x = LN(x + Wo·SelfAttn(x));  x = LN(x + Wo'·CrossAttn(x, encoder));  x = LN(x + W2·gelu(W1·x))
//   logits = sharedᵀ·x + final_logits_bias  (the LM head is tied to the token embeddings)
// The cross-attention reads the BART encoder's output ([image features ; prompt], bart_encoder.h).
#include <string>

#include "model/florence2_weight_names.h"
#include "model/post_norm_decoder.h"

namespace vkcap::model {

class BartDecoder : public PostNormDecoder {
 public:
  // `names`: the checkpoint's layout (its BART prefix, LM head and bias). spec.max_positions is
  // max_position_embeddings (the table has two more rows).
  BartDecoder(const WeightLoader& weights, const DecoderSpec& spec, const Florence2WeightNames& names);

  // The token embeddings [vocab, hidden] on the device; the encoder embeds the prompt with them.
  const vk::Buffer& token_table() const { return token_table_; }

 protected:
  void record_step(vk::Recorder& rec) override;

 private:
  vk::Buffer token_table_, positions_table_;
  LayerNormWeights embeddings_ln_;
  kernels::PackedWeight lm_head_;
};

// The learned position tables' offset: position p reads row p + 2.
inline constexpr int kBartPositionOffset = 2;

}  // namespace vkcap::model
