#include "cli/region_drawing.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "cli/attention_font.h"
#include "cli/attention_map.h"
#include "util/error.h"

namespace vkcap::cli {

namespace {

// Saturated colours that stay apart from each other and from most photo content.
constexpr std::array<std::array<uint8_t, 3>, 8> kPalette = {{{255, 48, 48},
                                                             {48, 220, 48},
                                                             {48, 112, 255},
                                                             {255, 200, 0},
                                                             {255, 0, 255},
                                                             {0, 230, 230},
                                                             {255, 128, 0},
                                                             {160, 64, 255}}};
constexpr std::array<uint8_t, 3> kLabelInk = {0, 0, 0};

void put(image::Image& canvas, int x, int y, std::array<uint8_t, 3> colour) {
  if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) return;
  std::copy(colour.begin(), colour.end(), &canvas.rgb[(size_t(y) * canvas.width + x) * 3]);
}

// A square pen of side `width` along (x0, y0) → (x1, y1), one dab per pixel step.
void draw_segment(image::Image& canvas, float x0, float y0, float x1, float y1, int width, std::array<uint8_t, 3> colour) {
  const int steps = std::max(1, int(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0)))));
  const int before = (width - 1) / 2;
  for (int i = 0; i <= steps; ++i) {
    const float t = float(i) / float(steps);
    const int cx = int(std::floor(x0 + t * (x1 - x0))), cy = int(std::floor(y0 + t * (y1 - y0)));
    for (int dy = -before; dy < width - before; ++dy)
      for (int dx = -before; dx < width - before; ++dx) put(canvas, cx + dx, cy + dy, colour);
  }
}

// The region's outline as corners (x, y pairs) of closed polygons.
std::vector<std::vector<float>> outlines(const Region& r) {
  if (!r.polygons.empty()) return r.polygons;
  if (r.quad && r.points.size() == 8) return {r.points};
  if (r.points.size() == 4) {
    const float x1 = r.points[0], y1 = r.points[1], x2 = r.points[2], y2 = r.points[3];
    return {{x1, y1, x2, y1, x2, y2, x1, y2}};
  }
  return {};
}

void draw_tag(image::Image& canvas, float x, float y, const std::string& label, int scale, std::array<uint8_t, 3> colour) {
  if (label.empty()) return;
  const int pad = scale, w = text_width(label, scale) + 2 * pad, h = kGlyphHeight * scale + 2 * pad;
  const int left = std::clamp(int(x), 0, std::max(0, canvas.width - w));
  int top = int(y) - h;
  if (top < 0) top = std::clamp(int(y), 0, std::max(0, canvas.height - h));
  for (int v = top; v < top + h; ++v)
    for (int u = left; u < left + w; ++u) put(canvas, u, v, colour);
  draw_text(canvas, left + pad, top + pad, label, scale, kLabelInk);
}

}  // namespace

std::array<uint8_t, 3> region_colour(size_t index) { return kPalette[index % kPalette.size()]; }

image::Image render_regions(const image::Image& image, const std::vector<Region>& regions) {
  if (image.width <= 0 || image.height <= 0 || image.rgb.size() != size_t(image.width) * image.height * 3)
    throw Error("region drawing: image of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " pixels with " + std::to_string(image.rgb.size()) + " bytes");
  image::Image canvas = image;
  const int longer = std::max(image.width, image.height);
  const int width = std::max(2, longer / 300), scale = std::max(1, longer / 400);
  for (size_t i = 0; i < regions.size(); ++i) {
    const auto colour = region_colour(i);
    const std::vector<std::vector<float>> shapes = outlines(regions[i]);
    for (const std::vector<float>& p : shapes)
      for (size_t k = 0; k + 1 < p.size(); k += 2) {
        const size_t next = (k + 2) % p.size();
        draw_segment(canvas, p[k], p[k + 1], p[next], p[next + 1], width, colour);
      }
    if (!shapes.empty() && shapes[0].size() >= 2) draw_tag(canvas, shapes[0][0], shapes[0][1], regions[i].label, scale, colour);
  }
  return canvas;
}

void write_regions_png(const std::filesystem::path& out, const image::Image& image, const std::vector<Region>& regions) {
  write_png(out, render_regions(image, regions), "--draw-boxes");
}

}  // namespace vkcap::cli
