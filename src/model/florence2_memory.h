#pragma once
// How Florence-2's vision encoder lays out one image's activations, decided from the config, the
// image size and the device's largest storage binding alone (no weights needed), so the sizes
// for the real models can be checked without loading them. Every buffer fits one binding; what
// would not (patch matrices, the MLP's hidden rows, window q/k/v) runs in blocks through the
// shared scratch buffer.
#include <cstdint>
#include <vector>

#include "kernels/conv.h"
#include "model/florence2_config.h"

namespace vkcap::model {

struct Florence2StagePlan {
  kernels::ConvShape conv;  // the patch conv's input geometry and layout
  int height = 0, width = 0;  // the stage's token grid
  int conv_blocks = 1;        // patch-matrix row blocks of the conv
  int mlp_blocks = 1;         // row blocks of fc1 → fc2
  int window_chunks = 1;      // chunks of windows in window attention
  int tokens() const { return height * width; }
};

struct Florence2MemoryPlan {
  std::vector<Florence2StagePlan> stages;
  // Floats of each buffer (tokens: each of the two residual buffers, the norm output and the
  // attention output are this size).
  uint64_t token_floats = 0, scratch_floats = 0, window_floats = 0, channel_attn_floats = 0;
  uint64_t largest_buffer_bytes() const;
  uint64_t activation_bytes() const;  // all of them together
};

// Throws vkcap::Error naming the stage when the image is too small for a patch conv, or when a
// stage's channel attention (which reduces over every token, so binds its q/k/v whole) or its
// token rows exceed `max_binding_bytes`.
Florence2MemoryPlan plan_florence2_vision(const Florence2VisionConfig& config, int image_height, int image_width,
                                          uint64_t max_binding_bytes);

}  // namespace vkcap::model
