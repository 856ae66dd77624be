#pragma once
// Florence-2's vision side from config.json's `vision_config` (Microsoft's Florence2VisionConfig,
// model_type "davit"): the DaViT stages and the image projector. Keys the file omits take the
// class defaults (the Florence-2-large sizes). A key of the wrong type, lists of unequal length
// or sizes that cannot work (channels not divisible by heads or groups, padding ≥ kernel) are
// errors naming the file and the key:
//   "<dir>/config.json: vision_config.num_heads: expected a list of 4 integers ≥ 1, got [8, 16]"
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace vkcap {

// One DaViT stage: its patch convolution (ConvEmbed) and `depth` (spatial, channel) block pairs.
struct DavitStage {
  int dim = 0;                 // dim_embed[i]: channels of the stage's tokens
  int depth = 1;               // depths[i]
  int heads = 1;               // num_heads[i]: window attention heads
  int groups = 1;              // num_groups[i]: channel attention groups
  int patch_size = 3, patch_stride = 2, patch_padding = 1;
  bool patch_prenorm = false;  // LayerNorm over the input channels before the conv (else after)
};

// Which rows the projector takes from the final tokens (image_feature_source), in order. With one
// frame (images) the temporal pool and the last frame are the tokens themselves.
enum class ImageFeatureSource { SpatialAvgPool, TemporalAvgPool, LastFrame };

struct Florence2VisionConfig {
  std::vector<DavitStage> stages;
  int window_size = 12;
  int projection_dim = 1024;
  int pos_embed_max = 50;        // image_pos_embed (learned_abs_2d): rows of the row/column tables
  int temporal_embed_max = 100;  // visual_temporal_embedding (COSINE): rows of its table
  std::vector<ImageFeatureSource> feature_sources{ImageFeatureSource::SpatialAvgPool,
                                                  ImageFeatureSource::TemporalAvgPool};
  int in_channels = 3;
  int mlp_ratio = 4;             // DaViT's fixed 4.0: fc1 has 4·dim outputs
  float layer_norm_eps = 1e-5f;  // nn.LayerNorm's default, used throughout

  int out_dim() const { return stages.back().dim; }
};

// `vision_config` (an object) of the file named by `file_label`.
Florence2VisionConfig parse_florence2_vision_config(const nlohmann::json& vision_config, const std::string& file_label);
// Reads `<dir>/config.json` and parses its `vision_config`.
Florence2VisionConfig load_florence2_vision_config(const std::filesystem::path& dir);

}  // namespace vkcap
