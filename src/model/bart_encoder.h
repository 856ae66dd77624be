#pragma once
// BART's encoder as Florence-2 uses it (Florence2Encoder, post-LayerNorm), over an input of the
// image features followed by the embedded prompt ids (`_merge_input_ids_with_image_features`,
// all positions attended):
//   x = LN_emb([features ; shared[ids]] + pos[i + 2])        i = 0 … rows-1 over the whole input
//   per layer: x = LN(x + Wo·Attn(x));  x = LN(x + W2·gelu(W1·x))
// Several images run as one batch (same prompt), each attending only to its own rows.
#include <span>
#include <string>
#include <vector>

#include "kernels/linear.h"
#include "model/weight_loader.h"

namespace vkcap::model {

struct BartEncoderSpec {
  int hidden = 1024, heads = 16, layers = 12, ffn = 4096, vocab = 51289, max_positions = 1024;
  float eps = 1e-5f;
};

class BartEncoder {
 public:
  // `model_root`: the BART model's prefix ("language_model.model.", Florence2WeightNames);
  // `token_table`: the shared token
  // embeddings [vocab, hidden] (BartDecoder::token_table), which must outlive the encoder.
  BartEncoder(const WeightLoader& weights, const BartEncoderSpec& spec, const std::string& model_root,
              const vk::Buffer& token_table);

  const BartEncoderSpec& spec() const { return spec_; }
  // Records the encoder for `images` images: features [images, feature_rows, hidden] then the
  // prompt → out [images, feature_rows + prompt.size(), hidden]. The prompt ids are uploaded now,
  // so record only one call per submit.
  void record(vk::Recorder& rec, kernels::BufferRef features, int feature_rows, int images,
              std::span<const int32_t> prompt, kernels::BufferRef out);
  double flops(int rows) const;

 private:
  struct Layer {
    kernels::PackedWeight qkv, out;
    LayerNormWeights self_norm;
    kernels::PackedWeight fc1, fc2;
    LayerNormWeights output_norm;
  };
  void ensure_buffers(uint64_t rows, size_t prompt_len);
  void record_layer(vk::Recorder& rec, const Layer& layer, kernels::BufferRef x, int images, int rows);

  BartEncoderSpec spec_;
  vk::Context& ctx_;
  const vk::Buffer& token_table_;
  vk::Buffer positions_table_;
  LayerNormWeights embeddings_ln_;
  std::vector<Layer> layers_;
  // Scratch for the largest input so far.
  uint64_t row_capacity_ = 0;
  size_t id_capacity_ = 0;
  vk::Buffer ids_, qkv_, attended_, tmp_, ffn_;
};

}  // namespace vkcap::model
