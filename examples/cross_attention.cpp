// Lesson 4 — cross-attention: one sequence reads another.
//
// In cross-attention the queries come from the sequence being written (here a Hindi sentence;
// in a captioner, the caption) and the keys and values from another sequence (the English
// sentence being translated; in a captioner, the image patches):
//   w_ij = softmax_j(q_i·k_j / sqrt(d)),  q_i = y_i·W_q (output word i),  k_j = x_j·W_k (input word j)
// The two sequences may have different lengths: the weights form an [output × input] matrix,
// and each of its rows says where word i of the output looked in the input.
//
// A trained translator learns embeddings and projections that line words up with their
// translations. To see that without training we cheat: each Hindi word's embedding is its
// English translation's plus noise, and queries and keys share one projection. The matrix then
// shows the alignment billi→cat, chatai→mat, par→on, baithi→sat (baithi is torn between "sat"
// and "mat": a random projection happens to bring those two close — it is not a trained model).
//
// The matrix is printed and drawn as a heat map: cross_attention [OUT.png] (default
// cross_attention.png), one square per weight, rows = Hindi words, columns = English words.
#include <cstdio>
#include <string>

#include "lesson.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace {

// A perceptual colour map (dark purple → blue → green → yellow) at t in [0, 1].
void colour(float t, unsigned char rgb[3]) {
  static const float stops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::min(1.0f, std::max(0.0f, t)) * 4.0f;
  const int i = std::min(3, int(t));
  const float f = t - float(i);
  for (int c = 0; c < 3; ++c) rgb[c] = (unsigned char)(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]) + 0.5f);
}

// rows × cols weights in [0, 1] as a PNG of cell×cell squares with a one-pixel grid.
bool write_heat_map(const std::string& path, const std::vector<float>& weights, int rows, int cols) {
  const int cell = 48, width = cols * cell, height = rows * cell;
  std::vector<unsigned char> pixels(size_t(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      unsigned char* p = &pixels[(size_t(y) * width + x) * 3];
      if (x % cell == 0 || y % cell == 0) {
        p[0] = p[1] = p[2] = 255;
        continue;
      }
      colour(weights[size_t(y / cell) * cols + x / cell], p);
    }
  return stbi_write_png(path.c_str(), width, height, 3, pixels.data(), width * 3) != 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string png = argc > 1 ? argv[1] : "cross_attention.png";
  const std::vector<std::string> english = {"the", "cat", "sat", "on", "the", "mat"};
  const std::vector<std::string> hindi = {"billi", "chatai", "par", "baithi"};  // बिल्ली चटाई पर बैठी
  const std::vector<std::string> translation = {"cat", "mat", "on", "sat"};
  const int lq = int(hindi.size()), lk = int(english.size()), d = 16;
  try {
    vkcap::Context gpu;
    std::printf("device: %s\n\n", gpu.device_name().c_str());

    std::vector<float> x = lesson::embed(english, d), y = lesson::embed(translation, d);
    for (float& e : x) e *= 2.0f;  // longer vectors: sharper attention
    for (size_t i = 0; i < y.size(); ++i) y[i] = 2.0f * y[i] + 0.25f * lesson::noise(7, i);
    const auto w_qk = lesson::projection(d, d, 21), w_v = lesson::projection(d, d, 22);

    const vkcap::Linear project_qk(gpu, w_qk, d, d), project_v(gpu, w_v, d, d);
    const vkcap::Tensor input = gpu.tensor(x, {lk, d});    // English: what is read
    const vkcap::Tensor output = gpu.tensor(y, {lq, d});   // Hindi: what is written
    const vkcap::Attention a = vkcap::cross_attention(project_qk(output), project_qk(input), project_v(input));

    const std::vector<float> weights = a.probabilities.read();  // [1, 1, lq, lk]
    std::printf("cross-attention weights: rows = Hindi (output, queries), columns = English (input, keys):\n");
    lesson::print_weights(weights, hindi, english);
    std::printf("\n");
    for (int i = 0; i < lq; ++i) {
      int best = 0;
      for (int j = 1; j < lk; ++j)
        if (weights[size_t(i) * lk + j] > weights[size_t(i) * lk + best]) best = j;
      std::printf("  %-7s looks most at \"%s\" (%.2f)\n", hindi[i].c_str(), english[best].c_str(),
                  weights[size_t(i) * lk + best]);
    }

    if (!write_heat_map(png, weights, lq, lk)) throw vkcap::Error(png + ": cannot write the heat map");
    std::printf("\nheat map (%d rows x %d columns, bright = strong): %s\n\n", lq, lk, png.c_str());

    const lesson::Reference ref = lesson::attention(lesson::matmul(y, w_qk, d, d), lesson::matmul(x, w_qk, d, d),
                                                    lesson::matmul(x, w_v, d, d), lq, lk, 1, d, false);
    const bool ok = lesson::report("weights", weights, ref.weights) &
                    lesson::report("outputs", a.output.read(), ref.out);
    return ok ? 0 : 1;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "cross_attention: %s\n", e.what());
    return 1;
  }
}
