#pragma once
// The decoder layers BLIP's text decoder and BART's decoder (Florence-2) share: post-LayerNorm
// blocks of causal self-attention, cross-attention to the image tokens and a feed-forward network,
//   h = LN(h + Wo·SelfAttn(h));  h = LN(h + Wo'·CrossAttn(h, image));  h = LN(h + W2·act(W1·h))
// Subclasses name the weights and add their embeddings (whose layer norm starts the chain) and
// their head (which folds the last layer's norm into its first linear).
#include <string>

#include "model/text_decoder.h"

namespace vkcap::model {

// A layer's weight prefixes, relative to the layer's own prefix.
struct PostNormLayerNames {
  std::string self_query, self_key, self_value, self_out, self_norm;
  std::string cross_query, cross_key, cross_value, cross_out, cross_norm;
  std::string fc1, fc2, output_norm;
};

class PostNormDecoder : public TextDecoder {
 protected:
  // Loads spec.layers layers, layer i under `layer_prefix + i + "."`. `masked_value` is what the
  // architecture adds to masked self-attention scores.
  PostNormDecoder(const WeightLoader& weights, const DecoderSpec& spec, const std::string& layer_prefix,
                  const PostNormLayerNames& names, float masked_value);

  void record_cross_kv(vk::Recorder& rec, const vk::Buffer& image_tokens, int rows, int layer) override;
  // Runs every layer over the embeddings in tmp_ (not yet normalised by `embeddings_norm`).
  // Returns the last layer's output norm, still to apply: the head's first linear reads tmp_
  // through it.
  kernels::InputNorm record_layers(vk::Recorder& rec, const LayerNormWeights& embeddings_norm);

 private:
  struct Layer {
    kernels::PackedWeight qkv, self_out;  // qkv: query, key and value stacked (3·d outputs)
    LayerNormWeights self_norm;
    kernels::PackedWeight cross_query, cross_key, cross_value, cross_out;
    LayerNormWeights cross_norm;
    kernels::PackedWeight fc1, fc2;
    LayerNormWeights output_norm;
  };
  std::vector<Layer> layers_;
  float masked_value_;
};

}  // namespace vkcap::model
