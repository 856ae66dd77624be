#include <doctest/doctest.h>

#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

std::vector<float> run_im2col(const std::vector<float>& pixels, int c, int h, int w, int p) {
  const size_t rows = size_t(h / p) * (w / p), cols = size_t(c) * p * p;
  GuardedBuffer in(pixels), out(rows * cols);
  vk::Recorder rec(test::gpu());
  kernels::record_im2col(rec, in.ref(), c, h, w, p, out.ref());
  rec.submit();
  CHECK(out.guards_intact());
  return out.read();
}

}  // namespace

TEST_CASE("im2col followed by patches · Wᵀ + b equals a direct stride-p Conv2d") {
  struct Shape { int c, h, w, p, dim; };
  // 224/16 (ViT), a non-square image, a remainder that the conv ignores, 1x1 patches.
  for (Shape s : {Shape{3, 32, 48, 16, 5}, Shape{3, 21, 14, 7, 3}, Shape{3, 23, 17, 5, 4}, Shape{1, 3, 2, 1, 2}}) {
    auto pixels = test::random_values(size_t(s.c) * s.h * s.w, 71 + s.p);
    auto weight = test::random_values(size_t(s.dim) * s.c * s.p * s.p, 72);  // [D, C, p, p]
    auto bias = test::random_values(s.dim, 73);
    auto patches = run_im2col(pixels, s.c, s.h, s.w, s.p);
    const int gh = s.h / s.p, gw = s.w / s.p, k = s.c * s.p * s.p;
    std::vector<double> via_patches, direct;
    for (int py = 0; py < gh; ++py)
      for (int px = 0; px < gw; ++px)
        for (int o = 0; o < s.dim; ++o) {
          double lin = bias[o], conv = bias[o];
          for (int j = 0; j < k; ++j) lin += double(patches[size_t(py * gw + px) * k + j]) * weight[size_t(o) * k + j];
          for (int c = 0; c < s.c; ++c)
            for (int ky = 0; ky < s.p; ++ky)
              for (int kx = 0; kx < s.p; ++kx)
                conv += double(pixels[(size_t(c) * s.h + py * s.p + ky) * s.w + px * s.p + kx]) *
                        weight[((size_t(o) * s.c + c) * s.p + ky) * s.p + kx];
          via_patches.push_back(lin);
          direct.push_back(conv);
        }
    std::vector<float> lin_f(via_patches.begin(), via_patches.end());
    test::expect_close(lin_f, direct, {1e-6, 1e-6}, "im2col conv " + std::to_string(s.h) + "x" + std::to_string(s.w));
  }
}

TEST_CASE("im2col is a pure copy in (c, ky, kx) order") {
  const int c = 2, h = 4, w = 6, p = 2;
  std::vector<float> pixels(c * h * w);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = float(i);
  auto patches = run_im2col(pixels, c, h, w, p);
  // Patch (py=1, px=2) is row 5; its element (c=1, ky=1, kx=0) is column 6.
  CHECK(patches[5 * 8 + 6] == float((1 * h + 1 * p + 1) * w + 2 * p + 0));
  CHECK(patches[0] == 0.0f);
  CHECK(patches[1] == 1.0f);
  CHECK(patches[2] == float(w));
}
