#pragma once
// Florence-2's config.json: the vision side from `vision_config` (Microsoft's
// Florence2VisionConfig, model_type "davit": the DaViT stages and the image projector) and the
// language model from `text_config`. Keys the file omits take the class defaults (the
// Florence-2-large sizes). A key of the wrong type, lists of unequal length
// or sizes that cannot work (channels not divisible by heads or groups, padding ≥ kernel) are
// errors naming the file and the key:
//   "<dir>/config.json: vision_config.num_heads: expected a list of 4 integers ≥ 1, got [8, 16]"
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace vkcap::model {

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

// The BART language model of `text_config` (Florence2LanguageConfig, model_type
// "florence2_language"): a post-LayerNorm encoder-decoder with learned positions (offset 2),
// tied token embeddings and exact GELU. Omitted keys take the class defaults (the large model).
// The generation keys are what Microsoft's generate() uses: it calls the language model's own
// generate(), whose generation config comes from text_config (generation_config.json holds the
// same values in Microsoft's checkpoints).
struct Florence2TextConfig {
  int vocab_size = 51289;
  int d_model = 1024;
  int encoder_layers = 12, encoder_attention_heads = 16, encoder_ffn_dim = 4096;
  int decoder_layers = 12, decoder_attention_heads = 16, decoder_ffn_dim = 4096;
  int max_position_embeddings = 1024;  // the position tables have 2 more rows (offset 2)
  float layer_norm_eps = 1e-5f;        // nn.LayerNorm's default, used throughout
  int bos_token_id = 0, pad_token_id = 1, eos_token_id = 2;
  int decoder_start_token_id = 2;
  std::optional<int> forced_bos_token_id;      // first generated token (Microsoft's configs: 0)
  std::optional<int> forced_eos_token_id = 2;  // the token at max_length
  int num_beams = 1, no_repeat_ngram_size = 0, max_length = 20;
  bool early_stopping = false;
};

struct Florence2Config {
  Florence2VisionConfig vision;
  Florence2TextConfig text;
};

// `vision_config` (an object) of the file named by `file_label`.
Florence2VisionConfig parse_florence2_vision_config(const nlohmann::json& vision_config, const std::string& file_label);
// Reads `<dir>/config.json` and parses its `vision_config`.
Florence2VisionConfig load_florence2_vision_config(const std::filesystem::path& dir);
// `text_config` (an object) of the file named by `file_label`.
Florence2TextConfig parse_florence2_text_config(const nlohmann::json& text_config, const std::string& file_label);
// Both halves of a config.json's top-level object; the image features must be as wide as the
// language model.
Florence2Config parse_florence2_config(const nlohmann::json& config, const std::string& file_label);
// The same, read from `<dir>/config.json`.
Florence2Config load_florence2_config(const std::filesystem::path& dir);

}  // namespace vkcap::model
