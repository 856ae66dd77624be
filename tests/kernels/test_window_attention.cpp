// DaViT window attention against a plain fp64 reference of Microsoft's WindowAttention (up to
// its output projection): zero padding right/bottom after the norm, so padded rows carry
// q = k = v = the qkv bias and take part as keys and values; no mask; crop. Both kernel
// variants, grids that pad on one side, both, none, and a single token; chunked windows.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/window_attention.h"

using namespace vkcap;
using kernels::WindowGrid;
using test::GuardedBuffer;

namespace {

std::vector<double> reference_window_attention(const std::vector<float>& x, const WindowGrid& g, int c, int heads,
                                               const std::vector<float>& w, const std::vector<float>& b) {
  const int ws = g.window, area = ws * ws, hd = c / heads;
  std::vector<double> out(size_t(g.height) * g.width * c, 0.0);
  for (int wy = 0; wy < g.windows_y(); ++wy)
    for (int wx = 0; wx < g.windows_x(); ++wx) {
      // qkv of every row of the padded window; padding rows are zero input.
      std::vector<double> qkv(size_t(area) * 3 * c);
      for (int r = 0; r < area; ++r) {
        const int y = wy * ws + r / ws, xx = wx * ws + r % ws;
        const bool inside = y < g.height && xx < g.width;
        for (int o = 0; o < 3 * c; ++o) {
          double acc = b[o];
          if (inside)
            for (int i = 0; i < c; ++i) acc += double(w[size_t(o) * c + i]) * x[(size_t(y) * g.width + xx) * c + i];
          qkv[size_t(r) * 3 * c + o] = acc;
        }
      }
      for (int r = 0; r < area; ++r) {
        const int y = wy * ws + r / ws, xx = wx * ws + r % ws;
        if (y >= g.height || xx >= g.width) continue;
        for (int h = 0; h < heads; ++h) {
          std::vector<double> s(area);
          double m = -1e300;
          for (int j = 0; j < area; ++j) {
            double dot = 0;
            for (int e = 0; e < hd; ++e) dot += qkv[size_t(r) * 3 * c + h * hd + e] * qkv[size_t(j) * 3 * c + c + h * hd + e];
            s[j] = dot / std::sqrt(double(hd));
            m = std::max(m, s[j]);
          }
          double sum = 0;
          for (double& v : s) sum += (v = std::exp(v - m));
          for (int e = 0; e < hd; ++e) {
            double acc = 0;
            for (int j = 0; j < area; ++j) acc += s[j] * qkv[size_t(j) * 3 * c + 2 * c + h * hd + e];
            out[(size_t(y) * g.width + xx) * c + h * hd + e] = acc / sum;
          }
        }
      }
    }
  return out;
}

struct Case {
  int height, width, window, channels, heads;
  int chunk;  // windows per chunk the scratch holds (0 = all)
};

void run_case(vk::KernelVariant variant, const Case& tc) {
  const WindowGrid g{tc.height, tc.width, tc.window};
  const int c = tc.channels;
  INFO(test::variant_name(variant) << " " << tc.height << "x" << tc.width << " window " << tc.window << " C " << c
                                   << " heads " << tc.heads << " chunk " << tc.chunk);
  const auto x = test::random_values(size_t(g.height) * g.width * c, 31 + c, -2.0f, 2.0f);
  const auto w = test::random_values(size_t(3) * c * c, 32);
  const auto b = test::random_values(size_t(3) * c, 33, -1.0f, 1.0f);
  kernels::PackedWeight qkv = kernels::pack_linear(test::gpu(), w.data(), b.data(), 3 * c, c,
                                                   kernels::WeightLayout::OutIn, kernels::WeightType::F32, variant);
  const int chunk = tc.chunk ? tc.chunk : g.windows();
  const uint64_t rows = uint64_t(chunk) * g.window_area();
  vk::Buffer window_rows = test::gpu().create_buffer(rows * c * 4);
  vk::Buffer window_qkv = test::gpu().create_buffer(rows * 3 * c * 4);
  GuardedBuffer xb(x), out(x.size(), 7.0f);
  kernels::WindowAttentionArgs args{.x = xb.ref(), .grid = g, .channels = c, .heads = tc.heads, .qkv = &qkv,
                                    .out = out.ref(), .window_rows = window_rows, .window_qkv = window_qkv};
  CHECK(kernels::window_attention_chunk(args) == std::min(chunk, g.windows()));
  vk::Recorder rec(test::gpu());
  kernels::record_window_attention(rec, args);
  rec.submit();
  test::expect_close(out.read(), reference_window_attention(x, g, c, tc.heads, w, b),
                     test::Tolerance::for_reduction(size_t(c) * g.window_area()), "window attention");
  CHECK(out.guards_intact());
}

}  // namespace

TEST_CASE("window attention matches the reference, padded keys included, on both kernel variants") {
  const std::vector<Case> cases = {
      {5, 7, 4, 12, 3, 0},   // pads right and bottom
      {8, 8, 4, 16, 2, 0},   // exact multiple: no padding
      {1, 1, 3, 4, 1, 0},    // one token among 8 padding rows
      {6, 4, 4, 8, 2, 0},    // pads the bottom only (fixture a's stage 3: 6 → 8 with window 4)
      {3, 3, 4, 16, 4, 0},   // smaller than one window (fixture a's stage 4)
      {11, 6, 5, 6, 2, 2},   // 3×2 windows run two at a time
      {13, 9, 4, 10, 5, 5},  // 4×3 windows in chunks of 5: the last chunk is short
  };
  for (vk::KernelVariant variant : test::kernel_variants())
    for (const Case& tc : cases) run_case(variant, tc);
}

TEST_CASE("window partition and merge: zeros for padding rows, merge restores exactly the in-image tokens") {
  const WindowGrid g{3, 5, 2};  // 2×3 windows of 2×2 over a 4×6 padded grid
  const int c = 2;
  std::vector<float> tokens(size_t(3) * 5 * c);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = float(i + 1);
  GuardedBuffer src(tokens), windows(size_t(g.windows()) * g.window_area() * c), back(tokens.size(), -1.0f);
  vk::Recorder rec(test::gpu());
  kernels::record_window_partition(rec, src.ref(), windows.ref(), g, c);
  kernels::record_window_merge(rec, windows.ref(), back.ref(), g, c);
  rec.submit();
  const std::vector<float> w = windows.read();
  // Window 2 (wy 0, wx 2) covers columns 4..5: (0,4) (0,5=pad) (1,4) (1,5=pad).
  const size_t base = size_t(2) * 4 * c;
  CHECK(w[base + 0] == tokens[(0 * 5 + 4) * c]);
  CHECK(w[base + 2] == 0.0f);
  CHECK(w[base + 4] == tokens[(1 * 5 + 4) * c]);
  CHECK(w[base + 7] == 0.0f);
  // Window 5 (wy 1, wx 2): only (2, 4) is inside.
  const size_t last = size_t(5) * 4 * c;
  CHECK(w[last + 1] == tokens[(2 * 5 + 4) * c + 1]);
  for (int i = 2; i < 8; ++i) CHECK(w[last + i] == 0.0f);
  CHECK(back.read() == tokens);
  CHECK(windows.guards_intact());
  CHECK(back.guards_intact());

  vk::Recorder bad(test::gpu());
  CHECK_THROWS_WITH(kernels::record_window_partition(bad, src.ref(), windows.ref(), g, c, 4, 3),
                    doctest::Contains("outside the 6 windows"));
}

TEST_CASE("window rows read a slice of a token buffer larger than one storage binding") {
  const uint64_t limit = test::gpu().info().max_storage_buffer_range;
  if (limit > (256ull << 20)) return;  // devices with larger bindings never need a window
  // A buffer just past the limit; the tokens are its last 4×4×8 floats.
  const uint64_t floats = limit / 4 + 4096;
  vk::Buffer big = test::gpu().create_buffer(floats * 4);
  const WindowGrid g{4, 4, 3};
  const int c = 8;
  std::vector<float> tokens(size_t(16) * c);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = float(i) * 0.5f;
  const uint64_t offset = floats - tokens.size() - 3;  // not aligned to anything
  test::gpu().upload(big, tokens.data(), tokens.size() * 4, offset * 4);
  GuardedBuffer windows(size_t(g.windows()) * 9 * c);
  vk::Recorder rec(test::gpu());
  kernels::record_window_partition(rec, kernels::BufferRef(big, offset), windows.ref(), g, c);
  rec.submit();
  const std::vector<float> w = windows.read();
  CHECK(w[0] == tokens[0]);
  CHECK(w[(4 * 9 - 9) * c + c + 1] == 0.0f);                 // window 3, row 1 = (3, 4): padding
  CHECK(w[(3 * 9) * c + 5] == tokens[(3 * 4 + 3) * c + 5]);  // window 3, row 0 = (3, 3)
  CHECK(windows.guards_intact());
}
