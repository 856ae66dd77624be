#pragma once
// Where each generated word looked, as the tool shows it: one map per new token over the
// encoder's image tokens, for one decoder layer or the mean over layers:
//   map_k[j] = 1/H Σ_h p_h(q_k, image token j)          (one layer)
//   map_k[j] = 1/(L·H) Σ_l Σ_h p_lh(q_k, image token j)  (--attention-layer mean)
// Image token 0 is the encoder's class token, tokens 1.. the patch grid in row-major order, so
// every map sums to 1 over class token + patches. Florence-2's token 0 is its pooled image token
// (the mean over the grid), and its decoder also attends to the encoder rows of the task prompt:
// their total weight is kept as `prompt`, and class + patches + prompt sum to 1. The maps come
// from the engine (Caption::cross_attention); this file only selects and reshapes them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vkcap/captioner.h"

namespace vkcap::cli {

// Which decoder layer a map shows: 0 … layers-1, or kMeanOverLayers.
inline constexpr int kMeanOverLayers = -1;

// "mean", "last", or a layer index 0 … layers-1 (negative counts from the end: -1 = last).
// Throws vkcap::InvalidArgumentError naming --attention-layer and the value.
int parse_attention_layer(const std::string& text, int layers);

struct TokenAttention {
  int32_t token = 0;
  std::string label;            // the token decoded alone, spaces trimmed
  bool special = false;         // EOS, padding: no tile in the picture
  float cls = 0;                // weight on the class token (Florence-2: the pooled token)
  std::vector<float> patches;   // grid_rows × grid_cols, row-major
  std::optional<float> prompt;  // Florence-2: weight on the task prompt's rows (cls + Σ patches + prompt = 1)
};

// One map per new token of `caption` (which must carry cross_attention).
std::vector<TokenAttention> token_attention(const Caption& caption, int layer);

}  // namespace vkcap::cli
