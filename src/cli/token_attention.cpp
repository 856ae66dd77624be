#include "cli/token_attention.h"

#include <charconv>
#include <numeric>

#include "util/error.h"

namespace vkcap::cli {

int parse_attention_layer(const std::string& text, int layers) {
  if (text == "mean") return kMeanOverLayers;
  if (text == "last") return layers - 1;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value >= layers || value < -layers)
    throw InvalidArgumentError("--attention-layer " + text + ": expected mean, last or a layer index 0.." +
                               std::to_string(layers - 1) + " (negative counts from the end)");
  return value < 0 ? layers + value : value;
}

std::vector<TokenAttention> token_attention(const Caption& caption, int layer) {
  if (!caption.cross_attention) throw Error("internal: a caption without cross-attention maps");
  const CrossAttentionMaps& maps = *caption.cross_attention;
  const std::optional<int> chosen = layer == kMeanOverLayers ? std::nullopt : std::optional<int>(layer);
  std::vector<TokenAttention> out(size_t(maps.steps));
  for (int k = 0; k < maps.steps; ++k) {
    const std::vector<float> map = maps.token_map(k, chosen);
    TokenAttention& t = out[size_t(k)];
    t.token = caption.new_tokens.at(size_t(k));
    t.label = caption.labels.at(size_t(k));
    t.special = caption.special.at(size_t(k));
    const auto patches = map.begin() + 1, prompt = patches + ptrdiff_t(maps.patch_grid) * maps.patch_grid;
    t.cls = map[0];
    t.patches.assign(patches, prompt);
    if (maps.prompt_tokens > 0) t.prompt = std::accumulate(prompt, map.end(), 0.0f);
  }
  return out;
}

}  // namespace vkcap::cli
