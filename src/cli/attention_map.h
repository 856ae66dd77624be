#pragma once
// Drawing and exporting cross-attention maps (see token_attention.h for what a map is).
//
// The PNG is a grid of tiles: the image, then one tile per generated word with that word's
// attention over the patch grid laid over the image as a heat map (an inferno-like colour
// map: black → purple → orange → pale yellow), the word printed under each tile. The class
// token's weight (and Florence-2's prompt rows' weight) is dropped and the patch weights
// renormalised to sum to 1, then scaled so the tile's strongest patch is the brightest colour:
// the picture shows where among the patches a word looked, not how much it looked at the class
// token or the prompt (those shares are in the JSON).
// The patch grid is stretched over the whole image (BLIP, ViT and Florence-2 resize to a square
// without cropping), upsampled bilinearly between patch centres.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/token_attention.h"
#include "image/image.h"

namespace vkcap::cli {

// The tiles of one caption: every new token that is not a special token (EOS, padding), with its
// label and its patch weights.
struct AttentionTiles {
  std::vector<std::string> words;
  std::vector<std::vector<float>> grids;  // grid_rows × grid_cols each
};
AttentionTiles attention_tiles(const std::vector<TokenAttention>& maps);

// The picture described above. `grids` are patch weights of any positive scale.
image::Image render_attention_grid(const image::Image& image, const std::vector<std::string>& words,
                            const std::vector<std::vector<float>>& grids, int grid_rows, int grid_cols);
// The same, written as a PNG to `out` (the parent directory must exist). Throws vkcap::Error.
void write_attention_grid(const std::filesystem::path& out, const image::Image& image, const std::vector<std::string>& words,
                          const std::vector<std::vector<float>>& grids, int grid_rows, int grid_cols);

// --attention-map OUT: a directory when OUT is an existing directory, ends with '/', or does not
// end in ".png"; then each image's map is OUT/<image stem>.attention.png. Otherwise OUT is the
// PNG itself (one image only).
// --draw-boxes OUT follows the same rule (png_output_path, suffix ".boxes").
bool attention_map_is_directory(const std::filesystem::path& out);
std::filesystem::path attention_map_path(const std::filesystem::path& out, const std::filesystem::path& image);
// OUT itself, or OUT/<image stem><suffix>.png when OUT is a directory (as above).
std::filesystem::path png_output_path(const std::filesystem::path& out, const std::filesystem::path& image,
                                      const std::string& suffix);
// `canvas` as an RGB PNG; throws vkcap::Error naming `what` ("attention map").
void write_png(const std::filesystem::path& out, const image::Image& canvas, const std::string& what);

// `--format json --attention`: {"layer": "mean"|N, "grid_rows", "grid_cols", "tokens": [{"token",
// "text", "cls", "patches": [[row 0], [row 1], …]}]} for every new token (EOS included), raw
// probabilities (cls + Σ patches = 1) rounded to 6 decimals. Florence-2 tokens add "prompt", the
// weight on the task prompt's encoder rows (cls + Σ patches + prompt = 1).
nlohmann::json attention_json(const std::vector<TokenAttention>& maps, int grid_rows, int grid_cols, int layer);

}  // namespace vkcap::cli
