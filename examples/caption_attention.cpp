// Cross-attention in a real captioner: the queries come from the caption being written, the keys
// and values from the image's patches. For every word, the decoder's cross-attention weights
// (mean over layers and heads) say where in the picture the word came from.
//   caption_attention MODEL IMAGE [OUT.png]
// Prints the caption, the [words × patches] weights, and writes OUT.png (default
// caption_attention.png): one patch_grid × patch_grid heat map per word, left to right.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <vkcap/captioner.h>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL IMAGE [OUT.png]\n", argv[0]);
    return 2;
  }
  const std::string png = argc > 3 ? argv[3] : "caption_attention.png";
  try {
    vkcap::Captioner captioner(argv[1]);
    vkcap::GenerationOptions options;
    options.keep_cross_attention = true;
    const vkcap::Caption c = captioner.caption(argv[2], options);
    const vkcap::CrossAttentionMaps& maps = *c.cross_attention;
    std::printf("caption: %s\n\n", c.text.c_str());

    // Each (word, layer, head) row of weights is a softmax over the image tokens (Florence-2:
    // and its task prompt's rows, keys() in all): it sums to 1.
    double worst = 0;
    for (int s = 0; s < maps.steps; ++s)
      for (int l = 0; l < maps.layers; ++l)
        for (int h = 0; h < maps.heads; ++h) {
          double sum = 0;
          for (int t = 0; t < maps.keys(); ++t) sum += maps.at(s, l, h, t);
          worst = std::max(worst, std::abs(sum - 1.0));
        }

    const int grid = maps.patch_grid, cell = std::max(4, 96 / grid), side = grid * cell, gap = 4;
    const int width = maps.steps * (side + gap);
    std::vector<unsigned char> pixels(size_t(width) * side * 3, 255);
    std::printf("%-12s strongest patch (row, col) and its weight\n", "word");
    for (int s = 0; s < maps.steps; ++s) {
      const std::vector<float> map = maps.patch_map(s);
      const float top = *std::max_element(map.begin(), map.end());
      const int best = int(std::max_element(map.begin(), map.end()) - map.begin());
      std::printf("%-12s (%d, %d) %.3f\n", c.words[s].c_str(), best / grid, best % grid, top);
      for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
          const float t = map[size_t(y / cell) * grid + x / cell] / top;  // brightest patch = white
          unsigned char* p = &pixels[(size_t(y) * width + s * (side + gap) + x) * 3];
          p[0] = (unsigned char)(255 * t), p[1] = (unsigned char)(200 * t * t), p[2] = (unsigned char)(80 * t);
        }
    }
    if (!stbi_write_png(png.c_str(), width, side, 3, pixels.data(), width * 3))
      throw vkcap::Error(png + ": cannot write the heat maps");
    std::printf("\nheat maps (one per word, %dx%d patches): %s\n", grid, grid, png.c_str());
    std::printf("every attention row sums to 1: %s (worst %.1e)\n", worst < 1e-4 ? "yes" : "NO", worst);
    return worst < 1e-4 ? 0 : 1;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "caption_attention: %s\n", e.what());
    return 1;
  }
}
