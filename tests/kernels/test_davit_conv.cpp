// The convolutions of the DaViT vision tower against a direct fp64 Conv2d: strided patch convs
// (7×7 stride 4 pad 3 on the image, 3×3 stride 2 pad 1 on token rows) as patches + matmul, tiled
// over row blocks, on both kernel variants; and the depthwise 3×3 with its fused residual.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "checks/davit_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/conv.h"
#include "kernels/ops.h"

using namespace vkcap;
using kernels::ConvShape;
using kernels::ImageLayout;
using test::GuardedBuffer;

TEST_CASE("conv output size is floor((in + 2p - k) / s) + 1, 0 when the kernel does not fit") {
  CHECK(kernels::conv_output_size(768, 7, 4, 3) == 192);
  CHECK(kernels::conv_output_size(192, 3, 2, 1) == 96);
  CHECK(kernels::conv_output_size(3, 3, 2, 1) == 2);
  CHECK(kernels::conv_output_size(1, 3, 2, 1) == 1);
  CHECK(kernels::conv_output_size(1, 7, 4, 0) == 0);
}

TEST_CASE("strided padded conv2d = patches + linear, tiled over row blocks, both kernel variants") {
  for (vk::KernelVariant variant : test::kernel_variants())
    for (const checks::Conv2dCase& tc : checks::conv2d_cases())
      test::expect_pass(checks::check_conv2d(test::check_run(), variant, tc));
}

TEST_CASE("conv2d with a host weight gathers its patches on the host too, same results") {
  for (const checks::Conv2dCase& tc : checks::conv2d_cases())
    test::expect_pass(checks::check_conv2d(test::check_run(), vk::KernelVariant::Cpu, tc, true));
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

TEST_CASE("depthwise conv on token rows, with and without the fused residual") {
  for (const checks::DepthwiseCase& tc : checks::depthwise_cases()) {
    test::expect_pass(checks::check_depthwise(test::check_run(), tc));
    test::expect_pass(checks::check_depthwise(test::check_run(), tc, true));  // as a host step
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
