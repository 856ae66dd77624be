#include "cli/attention_map.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "cli/attention_font.h"
#include "util/error.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

constexpr int kTileSide = 160;    // the longer side of every tile
constexpr int kGap = 8;           // between tiles and around the grid
constexpr int kLabelHeight = 24;  // below each tile: 2× scaled 5×7 glyphs plus spacing
constexpr int kMaxColumns = 6;
constexpr float kHeatAlpha = 0.6f;  // heat colour share of a tile pixel
constexpr std::array<uint8_t, 3> kBackground = {24, 24, 28}, kInk = {235, 235, 235};

// An inferno-like perceptual colour map: eight stops, equally spaced, interpolated linearly.
// Lightness rises monotonically from black to pale yellow, so strong weights read as bright.
constexpr float kStops[8][3] = {{0, 0, 4},     {40, 11, 84},   {101, 21, 110}, {159, 42, 99},
                                {212, 72, 66}, {245, 125, 21}, {250, 193, 39}, {252, 255, 164}};

std::array<float, 3> heat_colour(float t) {
  t = std::clamp(t, 0.0f, 1.0f) * 7.0f;
  const int i = std::min(6, int(t));
  const float f = t - float(i);
  return {kStops[i][0] + f * (kStops[i + 1][0] - kStops[i][0]), kStops[i][1] + f * (kStops[i + 1][1] - kStops[i][1]),
          kStops[i][2] + f * (kStops[i + 1][2] - kStops[i][2])};
}

// `image` resampled to w × h: bilinear when enlarging, the mean over each output pixel's
// footprint when shrinking (bilinear alone would alias a large photo).
std::vector<float> resample(const image::Image& image, int w, int h) {
  std::vector<float> out(size_t(w) * h * 3);
  const double sx = double(image.width) / w, sy = double(image.height) / h;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float* o = &out[(size_t(y) * w + x) * 3];
      if (sx > 1.0 || sy > 1.0) {
        const int x0 = int(x * sx), x1 = std::max(x0 + 1, std::min(image.width, int(std::ceil((x + 1) * sx))));
        const int y0 = int(y * sy), y1 = std::max(y0 + 1, std::min(image.height, int(std::ceil((y + 1) * sy))));
        double sum[3] = {0, 0, 0};
        for (int v = y0; v < y1; ++v)
          for (int u = x0; u < x1; ++u)
            for (int c = 0; c < 3; ++c) sum[c] += image.pixel(u, v)[c];
        for (int c = 0; c < 3; ++c) o[c] = float(sum[c] / double((x1 - x0) * (y1 - y0)));
        continue;
      }
      const double u = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(image.width - 1));
      const double v = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(image.height - 1));
      const int u0 = int(u), v0 = int(v), u1 = std::min(u0 + 1, image.width - 1), v1 = std::min(v0 + 1, image.height - 1);
      const double fu = u - u0, fv = v - v0;
      for (int c = 0; c < 3; ++c)
        o[c] = float((1 - fv) * ((1 - fu) * image.pixel(u0, v0)[c] + fu * image.pixel(u1, v0)[c]) +
                     fv * ((1 - fu) * image.pixel(u0, v1)[c] + fu * image.pixel(u1, v1)[c]));
    }
  return out;
}

// The grid (renormalised over patches, then divided by its maximum) at tile pixel (x, y):
// bilinear between patch centres, constant beyond the outer centres.
float heat_at(const std::vector<float>& grid, int rows, int cols, int x, int y, int w, int h) {
  const float u = std::clamp((x + 0.5f) * float(cols) / float(w) - 0.5f, 0.0f, float(cols - 1));
  const float v = std::clamp((y + 0.5f) * float(rows) / float(h) - 0.5f, 0.0f, float(rows - 1));
  const int c0 = int(u), r0 = int(v), c1 = std::min(c0 + 1, cols - 1), r1 = std::min(r0 + 1, rows - 1);
  const float fu = u - float(c0), fv = v - float(r0);
  auto g = [&](int r, int c) { return grid[size_t(r) * cols + c]; };
  return (1 - fv) * ((1 - fu) * g(r0, c0) + fu * g(r0, c1)) + fv * ((1 - fu) * g(r1, c0) + fu * g(r1, c1));
}

// Patch weights scaled so the largest is 1 (renormalising over patches and dividing by the
// maximum collapse into one division). An all-zero grid stays zero.
std::vector<float> scaled_to_peak(const std::vector<float>& grid) {
  const float peak = grid.empty() ? 0.0f : *std::max_element(grid.begin(), grid.end());
  std::vector<float> out(grid.size(), 0.0f);
  if (peak > 0)
    for (size_t i = 0; i < grid.size(); ++i) out[i] = std::max(0.0f, grid[i] / peak);
  return out;
}

// The label fitted to the tile: 2× glyphs, else 1×, else cut with "..".
void draw_label(image::Image& canvas, int x, int y, int width, std::string text) {
  int scale = 2;
  if (text_width(text, 2) > width) {
    scale = 1;
    if (text_width(text, 1) > width) {
      while (!text.empty() && text_width(text + "..", 1) > width) text.pop_back();
      text += "..";
    }
  }
  const int w = text_width(text, scale);
  draw_text(canvas, x + (width - w) / 2, y + (kLabelHeight - kGlyphHeight * scale) / 2, text, scale, kInk);
}

}  // namespace

AttentionTiles attention_tiles(const std::vector<TokenAttention>& maps) {
  AttentionTiles tiles;
  for (const TokenAttention& m : maps) {
    if (m.special) continue;
    tiles.words.push_back(m.label);
    tiles.grids.push_back(m.patches);
  }
  return tiles;
}

image::Image render_attention_grid(const image::Image& image, const std::vector<std::string>& words,
                            const std::vector<std::vector<float>>& grids, int grid_rows, int grid_cols) {
  if (image.width <= 0 || image.height <= 0 || image.rgb.size() != size_t(image.width) * image.height * 3)
    throw Error("attention map: image of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " pixels with " + std::to_string(image.rgb.size()) + " bytes");
  if (words.size() != grids.size())
    throw Error("attention map: " + std::to_string(words.size()) + " words but " + std::to_string(grids.size()) +
                " attention grids");
  if (grid_rows <= 0 || grid_cols <= 0) throw Error("attention map: empty patch grid");
  for (const auto& g : grids)
    if (g.size() != size_t(grid_rows) * grid_cols)
      throw Error("attention map: a grid of " + std::to_string(g.size()) + " weights for " +
                  std::to_string(grid_rows) + "x" + std::to_string(grid_cols) + " patches");

  const bool wide = image.width >= image.height;
  const int tile_w = wide ? kTileSide : std::max(1, int(std::lround(double(kTileSide) * image.width / image.height)));
  const int tile_h = wide ? std::max(1, int(std::lround(double(kTileSide) * image.height / image.width))) : kTileSide;
  const int tiles = int(words.size()) + 1;
  const int columns = std::min(tiles, kMaxColumns), rows = (tiles + columns - 1) / columns;
  image::Image canvas;
  canvas.width = kGap + columns * (tile_w + kGap);
  canvas.height = kGap + rows * (tile_h + kLabelHeight + kGap);
  canvas.rgb.resize(size_t(canvas.width) * canvas.height * 3);
  for (size_t i = 0; i < canvas.rgb.size(); ++i) canvas.rgb[i] = kBackground[i % 3];

  const std::vector<float> base = resample(image, tile_w, tile_h);
  for (int t = 0; t < tiles; ++t) {
    const int x0 = kGap + (t % columns) * (tile_w + kGap), y0 = kGap + (t / columns) * (tile_h + kLabelHeight + kGap);
    const std::vector<float> heat = t == 0 ? std::vector<float>{} : scaled_to_peak(grids[size_t(t - 1)]);
    for (int y = 0; y < tile_h; ++y)
      for (int x = 0; x < tile_w; ++x) {
        const float* b = &base[(size_t(y) * tile_w + x) * 3];
        uint8_t* p = &canvas.rgb[(size_t(y0 + y) * canvas.width + x0 + x) * 3];
        if (t == 0) {
          for (int c = 0; c < 3; ++c) p[c] = uint8_t(std::clamp(b[c] + 0.5f, 0.0f, 255.0f));
          continue;
        }
        const std::array<float, 3> h = heat_colour(heat_at(heat, grid_rows, grid_cols, x, y, tile_w, tile_h));
        for (int c = 0; c < 3; ++c)
          p[c] = uint8_t(std::clamp((1 - kHeatAlpha) * b[c] + kHeatAlpha * h[c] + 0.5f, 0.0f, 255.0f));
      }
    draw_label(canvas, x0, y0 + tile_h, tile_w, t == 0 ? "image" : words[size_t(t - 1)]);
  }
  return canvas;
}

void write_attention_grid(const fs::path& out, const image::Image& image, const std::vector<std::string>& words,
                          const std::vector<std::vector<float>>& grids, int grid_rows, int grid_cols) {
  write_png(out, render_attention_grid(image, words, grids, grid_rows, grid_cols), "attention map");
}

void write_png(const fs::path& out, const image::Image& canvas, const std::string& what) {
  if (!stbi_write_png(out.c_str(), canvas.width, canvas.height, 3, canvas.rgb.data(), canvas.width * 3))
    throw Error(out.string() + ": cannot write the " + what + " PNG");
}

bool attention_map_is_directory(const fs::path& out) {
  std::error_code ec;
  if (fs::is_directory(out, ec)) return true;
  const std::string s = out.string();
  if (!s.empty() && s.back() == '/') return true;
  std::string ext = out.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext != ".png";
}

fs::path attention_map_path(const fs::path& out, const fs::path& image) { return png_output_path(out, image, ".attention"); }

fs::path png_output_path(const fs::path& out, const fs::path& image, const std::string& suffix) {
  if (!attention_map_is_directory(out)) return out;
  return out / (image.stem().string() + suffix + ".png");
}

nlohmann::json attention_json(const std::vector<TokenAttention>& maps, int grid_rows, int grid_cols, int layer) {
  auto rounded = [](float v) { return std::round(double(v) * 1e6) / 1e6; };
  nlohmann::json tokens = nlohmann::json::array();
  for (const TokenAttention& m : maps) {
    if (m.patches.size() != size_t(grid_rows) * grid_cols)
      throw Error("attention json: a grid of " + std::to_string(m.patches.size()) + " weights for " +
                  std::to_string(grid_rows) + "x" + std::to_string(grid_cols) + " patches");
    nlohmann::json patches = nlohmann::json::array();
    for (int r = 0; r < grid_rows; ++r) {
      nlohmann::json row = nlohmann::json::array();
      for (int c = 0; c < grid_cols; ++c) row.push_back(rounded(m.patches[size_t(r) * grid_cols + c]));
      patches.push_back(std::move(row));
    }
    nlohmann::json token = {
        {"token", m.token}, {"text", m.label}, {"cls", rounded(m.cls)}, {"patches", std::move(patches)}};
    if (m.prompt) token["prompt"] = rounded(*m.prompt);
    tokens.push_back(std::move(token));
  }
  nlohmann::json layer_json = layer == kMeanOverLayers ? nlohmann::json("mean") : nlohmann::json(layer);
  return {{"layer", layer_json}, {"grid_rows", grid_rows}, {"grid_cols", grid_cols}, {"tokens", std::move(tokens)}};
}

}  // namespace vkcap::cli
