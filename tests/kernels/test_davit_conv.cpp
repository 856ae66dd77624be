// The convolutions of the DaViT vision tower against a direct fp64 Conv2d: strided patch convs
// (7×7 stride 4 pad 3 on the image, 3×3 stride 2 pad 1 on token rows) as patches + matmul, tiled
// over row blocks, on both kernel variants; and the depthwise 3×3 with its fused residual.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/conv.h"
#include "kernels/ops.h"

using namespace vkcap;
using kernels::ConvShape;
using kernels::ImageLayout;
using test::GuardedBuffer;

namespace {

// Input element (c, y, x) of either layout.
float at(const std::vector<float>& in, const ConvShape& s, int c, int y, int x) {
  if (y < 0 || x < 0 || y >= s.height || x >= s.width) return 0.0f;
  return s.layout == ImageLayout::Chw ? in[(size_t(c) * s.height + y) * s.width + x]
                                      : in[(size_t(y) * s.width + x) * s.channels + c];
}

// Direct Conv2d, output as token rows [oh·ow, out].
std::vector<double> reference_conv(const std::vector<float>& in, const ConvShape& s, const std::vector<float>& w,
                                   const std::vector<float>& b, int out) {
  const int oh = s.out_height(), ow = s.out_width(), k = s.kernel;
  std::vector<double> y;
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int o = 0; o < out; ++o) {
        double acc = b[o];
        for (int c = 0; c < s.channels; ++c)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
              acc += double(w[((size_t(o) * s.channels + c) * k + ky) * k + kx]) *
                     at(in, s, c, oy * s.stride + ky - s.padding, ox * s.stride + kx - s.padding);
        y.push_back(acc);
      }
  return y;
}

std::string describe(const ConvShape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width) + " k" +
         std::to_string(s.kernel) + " s" + std::to_string(s.stride) + " p" + std::to_string(s.padding) +
         (s.layout == ImageLayout::Chw ? " chw" : " hwc");
}

}  // namespace

TEST_CASE("conv output size is floor((in + 2p - k) / s) + 1, 0 when the kernel does not fit") {
  CHECK(kernels::conv_output_size(768, 7, 4, 3) == 192);
  CHECK(kernels::conv_output_size(192, 3, 2, 1) == 96);
  CHECK(kernels::conv_output_size(3, 3, 2, 1) == 2);
  CHECK(kernels::conv_output_size(1, 3, 2, 1) == 1);
  CHECK(kernels::conv_output_size(1, 7, 4, 0) == 0);
}

TEST_CASE("strided padded conv2d = patches + linear, tiled over row blocks, both kernel variants") {
  struct Case { ConvShape shape; int out; uint64_t scratch_rows; };
  const std::vector<Case> cases = {
      {{3, 23, 17, 7, 4, 3, ImageLayout::Chw}, 5, 1000},  // DaViT stage 0 on a prime-sized image, one block
      {{3, 23, 17, 7, 4, 3, ImageLayout::Chw}, 5, 7},     // the same in blocks of 7 rows (last one short)
      {{5, 13, 11, 3, 2, 1, ImageLayout::Hwc}, 7, 4},     // stages 1-3 on token rows, 4-row blocks
      {{4, 1, 1, 3, 2, 1, ImageLayout::Hwc}, 3, 1},       // a 1×1 grid: only the centre tap is inside
      {{2, 2, 9, 3, 2, 1, ImageLayout::Hwc}, 1, 2},
      {{3, 8, 8, 4, 4, 0, ImageLayout::Chw}, 6, 3},       // kernel = stride, no padding (the ViT case)
  };
  for (vk::KernelVariant variant : test::kernel_variants()) {
    for (const Case& tc : cases) {
      const ConvShape& s = tc.shape;
      INFO(test::variant_name(variant) << " " << describe(s) << " blocks of " << tc.scratch_rows);
      const auto input = test::random_values(size_t(s.channels) * s.height * s.width, 11 + s.kernel);
      const auto weight = test::random_values(size_t(tc.out) * s.patch_len(), 12);
      const auto bias = test::random_values(tc.out, 13);
      const auto matrix = kernels::conv_weight_as_linear(weight.data(), tc.out, s.channels, s.kernel, s.layout);
      kernels::PackedWeight packed =
          kernels::pack_linear(test::gpu(), matrix.data(), bias.data(), tc.out, int(s.patch_len()),
                               kernels::WeightLayout::OutIn, kernels::WeightType::F32, variant);
      const size_t positions = size_t(s.out_height()) * s.out_width();
      GuardedBuffer in(input), y(positions * tc.out);
      CHECK(kernels::conv2d_block_rows(test::gpu().info(), s, tc.scratch_rows * s.patch_len()) ==
            int(std::min<uint64_t>(tc.scratch_rows, positions)));
      vk::Recorder rec(test::gpu());
      // The scratch is used to the end of its buffer, so it gets an exact-size buffer, not guards.
      vk::Buffer scratch = test::gpu().create_buffer((tc.scratch_rows * s.patch_len()) * 4);
      kernels::record_conv2d(rec, {.input = in.ref(), .shape = s, .w = &packed, .y = y.ref(), .scratch = scratch});
      rec.submit();
      test::expect_close(y.read(), reference_conv(input, s, weight, bias, tc.out),
                         test::Tolerance::for_reduction(size_t(s.patch_len())), "conv2d " + describe(s));
      CHECK(y.guards_intact());
      CHECK(in.guards_intact());
    }
  }
}

TEST_CASE("conv patches: zeros in the padding, the layout's column order, a row range only") {
  // 1 channel 3×3 image 0..8, 3×3 kernel, stride 2, pad 1 → 2×2 outputs.
  ConvShape s{1, 3, 3, 3, 2, 1, ImageLayout::Chw};
  std::vector<float> pixels(9);
  for (int i = 0; i < 9; ++i) pixels[i] = float(i + 1);
  GuardedBuffer in(pixels), patches(2 * 9);
  vk::Recorder rec(test::gpu());
  kernels::record_conv_patches(rec, in.ref(), s, patches.ref(), 1, 2);  // rows 1 and 2 only
  rec.submit();
  const std::vector<float> got = patches.read();
  // Row 1 = output (0, 1): window rows −1..1, columns 1..3.
  const std::vector<float> row1 = {0, 0, 0, 2, 3, 0, 5, 6, 0};
  // Row 2 = output (1, 0): window rows 1..3, columns −1..1.
  const std::vector<float> row2 = {0, 4, 5, 0, 7, 8, 0, 0, 0};
  CHECK(std::vector<float>(got.begin(), got.begin() + 9) == row1);
  CHECK(std::vector<float>(got.begin() + 9, got.end()) == row2);
  CHECK(patches.guards_intact());

  // Hwc: columns (ky, kx, c) — two channels interleave.
  ConvShape h{2, 1, 1, 3, 1, 1, ImageLayout::Hwc};
  GuardedBuffer tokens(std::vector<float>{10, 20}), hp(18);
  vk::Recorder rec2(test::gpu());
  kernels::record_conv_patches(rec2, tokens.ref(), h, hp.ref());
  rec2.submit();
  std::vector<float> want(18, 0.0f);
  want[4 * 2 + 0] = 10;  // centre tap (1, 1) is tap 4
  want[4 * 2 + 1] = 20;
  CHECK(hp.read() == want);
}

TEST_CASE("conv2d and patches reject shapes that cannot work, with the reason") {
  ConvShape s{3, 5, 5, 7, 4, 0, ImageLayout::Chw};  // 7×7 kernel on a 5×5 input without padding
  GuardedBuffer in(75), out(100);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_conv_patches(rec, in.ref(), s, out.ref()),
                    doctest::Contains("does not fit"));
  ConvShape ok{3, 8, 8, 3, 2, 1, ImageLayout::Chw};
  CHECK_THROWS_WITH(kernels::record_conv_patches(rec, in.ref(), ok, out.ref(), 10, 10),
                    doctest::Contains("outside the 16 output positions"));
  const std::vector<float> w(2 * 27, 0.5f);
  kernels::PackedWeight packed =
      kernels::pack_linear(test::gpu(), w.data(), nullptr, 2, 27, kernels::WeightLayout::OutIn, kernels::WeightType::F32);
  GuardedBuffer pixels(3 * 64), y(16 * 2);
  vk::Buffer tiny = test::gpu().create_buffer(20 * 4);
  CHECK_THROWS_WITH(kernels::record_conv2d(rec, {.input = pixels.ref(), .shape = ok, .w = &packed, .y = y.ref(),
                                                 .scratch = tiny}),
                    doctest::Contains("less than one patch row"));
  ConvShape wrong = ok;
  wrong.channels = 2;
  CHECK_THROWS_WITH(kernels::record_conv2d(rec, {.input = pixels.ref(), .shape = wrong, .w = &packed, .y = y.ref(),
                                                 .scratch = tiny}),
                    doctest::Contains("a patch has 18"));
}

namespace {

std::vector<double> reference_depthwise(const std::vector<float>& x, const std::vector<float>& w,
                                        const std::vector<float>& b, int h, int wd, int c, int k, bool add) {
  std::vector<double> y(size_t(h) * wd * c);
  const int pad = k / 2;
  for (int yy = 0; yy < h; ++yy)
    for (int xx = 0; xx < wd; ++xx)
      for (int ch = 0; ch < c; ++ch) {
        double acc = b[ch];
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = yy + ky - pad, ix = xx + kx - pad;
            if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
            acc += double(w[(size_t(ch) * k + ky) * k + kx]) * x[(size_t(iy) * wd + ix) * c + ch];
          }
        const size_t o = (size_t(yy) * wd + xx) * c + ch;
        y[o] = acc + (add ? x[o] : 0.0);
      }
  return y;
}

}  // namespace

TEST_CASE("depthwise conv on token rows, with and without the fused residual") {
  struct Case { int h, w, c, k; bool add; };
  for (Case tc : {Case{1, 1, 1, 3, true}, Case{5, 7, 3, 3, true}, Case{13, 1, 17, 3, false}, Case{6, 6, 64, 3, true},
                  Case{7, 5, 11, 5, true}, Case{24, 24, 16, 3, true}}) {
    INFO(tc.h << "x" << tc.w << "x" << tc.c << " k" << tc.k << (tc.add ? " +x" : ""));
    const size_t n = size_t(tc.h) * tc.w * tc.c;
    const auto x = test::random_values(n, 21 + tc.c);
    const auto w = test::random_values(size_t(tc.c) * tc.k * tc.k, 22);
    const auto b = test::random_values(tc.c, 23);
    GuardedBuffer xb(x), wb(w), bb(b), y(n);
    vk::Recorder rec(test::gpu());
    kernels::record_depthwise_conv(rec, {.x = xb.ref(), .weight = wb.ref(), .bias = bb.ref(), .y = y.ref(),
                                         .height = tc.h, .width = tc.w, .channels = tc.c, .kernel = tc.k,
                                         .add_input = tc.add});
    rec.submit();
    test::expect_close(y.read(), reference_depthwise(x, w, b, tc.h, tc.w, tc.c, tc.k, tc.add),
                       test::Tolerance::for_reduction(size_t(tc.k) * tc.k), "depthwise");
    CHECK(y.guards_intact());
  }
  GuardedBuffer x(12), w(9), b(1);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_depthwise_conv(rec, {.x = x.ref(), .weight = w.ref(), .bias = b.ref(),
                                                         .y = kernels::BufferRef(x.buffer(), GuardedBuffer::kGuard),
                                                         .height = 3, .width = 4, .channels = 1}),
                    doctest::Contains("must not share a buffer"));
  CHECK_THROWS_WITH(kernels::record_depthwise_conv(rec, {.x = x.ref(), .weight = w.ref(), .bias = b.ref(), .y = w.ref(),
                                                         .height = 3, .width = 4, .channels = 1, .kernel = 2}),
                    doctest::Contains("must be odd"));
}
