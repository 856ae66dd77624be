#pragma once
// Florence-2 on the GPU: the DaViT tower and image projector (florence2_vision.h), the BART
// encoder over [image features ; prompt embeddings] (bart_encoder.h) and the BART decoder whose
// cross-attention reads that encoder output (bart_decoder.h; its K/V once per image).
#include <memory>
#include <span>
#include <vector>

#include "model/bart_decoder.h"
#include "model/bart_encoder.h"
#include "model/florence2_config.h"
#include "model/florence2_vision.h"

namespace vkcap::model {

class Florence2Model {
 public:
  // `image_height` × `image_width`: the pixel_values size of the processor (its `size`).
  Florence2Model(const WeightLoader& weights, const Florence2Config& config, int image_height, int image_width);

  const Florence2Config& config() const { return config_; }
  Florence2Layout layout() const { return names_.layout; }
  // Encodes each image's pixel values ([3, H, W], CHW) with the task prompt's ids (<s> … </s>,
  // the same for every image) and makes them the decoder's images 0 … n-1 (cross K/V computed).
  void encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> prompt);
  // Rows of the last encode()'s encoder output per image: image features, then the prompt.
  int encoder_rows() const { return encoder_rows_; }
  int feature_rows() const { return vision_.feature_rows(); }
  // Image i of the last encode(): [encoder_rows(), d_model].
  std::vector<float> encoder_output(int image) const;
  TextDecoder& decoder() { return decoder_; }
  Florence2Vision& vision() { return vision_; }
  // Floating-point work of one image's encoding (vision tower, projector, BART encoder), and
  // of its two stages.
  double encoder_flops(int prompt_tokens) const;
  double vision_flops() const;                        // DaViT tower + projector
  double text_encoder_flops(int prompt_tokens) const;  // BART encoder over [features ; prompt]
  // Wall times of the last encode(): the vision tower with the projector, the BART encoder, and
  // the decoder's cross-attention K/V.
  struct Timings {
    double vision_ms = 0, text_encoder_ms = 0, cross_kv_ms = 0;
  };
  const Timings& last_timings() const { return timings_; }

 private:
  vk::Context& ctx_;
  Florence2Config config_;
  int image_height_, image_width_;
  Florence2WeightNames names_;  // Microsoft's or transformers' layout, from the weights
  Florence2Vision vision_;
  BartDecoder decoder_;  // before the encoder: it owns the token table the encoder reads
  BartEncoder encoder_;
  vk::Buffer pixels_, features_, encoded_;
  int image_capacity_ = 0, row_capacity_ = 0, encoder_rows_ = 0, images_ = 0;
  Timings timings_;
};

}  // namespace vkcap::model
