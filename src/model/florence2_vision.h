#pragma once
// Florence-2's image encoder: the DaViT tower and the image projector (Microsoft's
// `_encode_image`), as a plan of kernel calls over the checkpoint's named weights.
//
//   per stage i:  x = ConvEmbed_i(x)          strided conv as patches + matmul; LayerNorm after
//                                             it (stage 0) or before it (patch_prenorm)
//                 depth_i × [spatial half, channel half], each half:
//                   x = x + dwconv3x3(x)                       (conv1)
//                   x = x + proj(Attn(LN(x)))                  window / channel attention
//                   x = x + dwconv3x3(x)                       (conv2)
//                   x = x + fc2(gelu(fc1(LN(x))))              (ffn)
//   tower output  x: [h·w, D] final tokens
//   projector:    t = x + pos2d(h, w) + temporal[0];  rows = [mean(t) ; t] (image_feature_source)
//                 features = LN(rows · image_projection)       [1 + h·w, projection_dim]
//
// Memory: every activation buffer fits one storage binding (maxStorageBufferRange); the large
// intermediates (patch matrices, window q/k/v, MLP hidden rows) run in row or window blocks
// through one shared scratch buffer (docs/florence2.md has the sizes per stage).
#include <vector>

#include "kernels/conv.h"
#include "kernels/linear.h"
#include "kernels/window_attention.h"
#include "model/florence2_config.h"
#include "model/florence2_memory.h"
#include "model/florence2_weight_names.h"
#include "model/weight_loader.h"

namespace vkcap::model {

class Florence2Vision {
 public:
  // `image_height` × `image_width`: the pixel_values size the processor makes (its `size`);
  // `names`: the checkpoint's layout (Microsoft's unless told).
  Florence2Vision(const WeightLoader& weights, const Florence2VisionConfig& config, int image_height,
                  int image_width, const Florence2WeightNames& names = {});

  // Records the encoder for one image: pixels [3, H, W] (CHW floats) → features
  // [feature_rows(), projection_dim].
  void record(vk::Recorder& rec, kernels::BufferRef pixels, kernels::BufferRef features);
  // The final DaViT tokens [grid_height·grid_width, out_dim] of the last recorded image (before
  // the position embeddings): valid once the recording has run.
  kernels::BufferRef tower_output() const { return *tower_output_; }

  const Florence2VisionConfig& config() const { return config_; }
  int grid_height() const { return stages_.back().height; }
  int grid_width() const { return stages_.back().width; }
  int feature_rows() const { return feature_rows_; }
  const Florence2MemoryPlan& memory_plan() const { return plan_; }
  double flops() const;

 private:
  struct Half {  // one SpatialBlock or ChannelBlock
    vk::Buffer conv1_weight, conv1_bias, conv2_weight, conv2_bias;
    LayerNormWeights attn_norm, ffn_norm;
    kernels::PackedWeight qkv, proj, fc1, fc2;
  };
  struct Stage {
    DavitStage spec;
    kernels::ConvShape conv;  // the patch conv's input geometry
    int height = 0, width = 0;
    kernels::PackedWeight patch_conv;
    LayerNormWeights conv_norm;
    std::vector<Half> spatial, channel;
    int tokens() const { return height * width; }
  };

  void record_stage(vk::Recorder& rec, const Stage& stage, kernels::BufferRef input);
  void record_half(vk::Recorder& rec, const Stage& stage, const Half& half, bool spatial);
  // A LayerNorm over token rows, on the host where host_steps_.
  kernels::LayerNormArgs norm(const LayerNormWeights& weights, kernels::BufferRef x, kernels::BufferRef y, int rows,
                              int d) const;
  void record_dwconv(vk::Recorder& rec, const Stage& stage, const vk::Buffer& weight, const vk::Buffer& bias);
  void record_mlp(vk::Recorder& rec, const Stage& stage, const Half& half);
  void record_projector(vk::Recorder& rec, kernels::BufferRef features);
  vk::Buffer& current() { return tokens_[current_]; }
  vk::Buffer& other() { return tokens_[current_ ^ 1]; }

  Florence2VisionConfig config_;
  int image_height_, image_width_;
  Florence2MemoryPlan plan_;
  std::vector<Stage> stages_;
  kernels::PackedWeight image_projection_;
  LayerNormWeights image_proj_norm_;
  vk::Buffer position_;  // [h·w, D]: 2-D position embedding + temporal row 0, made at load
  int feature_rows_ = 0;

  // Activations (sized for the largest stage) and scratch.
  vk::Buffer tokens_[2];   // the residual stream, ping-ponged by the depthwise convs
  int current_ = 0;
  // A CPU device with host products: the norms, depthwise convs and channel attention run as
  // host steps too (kernels/host_ops.h), so the tower's big loops never go through lavapipe.
  bool host_steps_ = false;
  vk::Buffer normed_;      // LayerNorm outputs; the position-embedded tokens in the projector
  vk::Buffer attended_;    // attention outputs before `proj`
  vk::Buffer scratch_;     // q/k/v, MLP hidden rows, conv patches, window q/k/v (in blocks)
  vk::Buffer window_rows_; // partitioned windows / their attention output
  vk::Buffer channel_attn_;  // the C·(C/groups) channel attention matrices
  vk::Buffer pooled_;      // feature rows before the projection
  vk::Buffer projected_;   // after the projection, before image_proj_norm
  const vk::Buffer* tower_output_ = nullptr;
};

}  // namespace vkcap::model
