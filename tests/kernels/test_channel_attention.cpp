// DaViT channel attention against an fp64 transcription of Microsoft's ChannelAttention
// (without the output projection): qkv reshaped to (N, 3, groups, C/groups), q scaled by N^-1/2,
// A = softmax(qᵀk) per group over its last axis, out = (A·vᵀ)ᵀ. Awkward shapes: one token, one
// group, prime token counts and group sizes, the 256-channel group limit, padded row strides.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/channel_attention.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

std::vector<double> reference(const std::vector<float>& qkv, int n, int c, int groups, int stride) {
  const int dg = c / groups;
  std::vector<double> out(size_t(n) * c);
  const double scale = std::pow(double(n), -0.5);
  for (int g = 0; g < groups; ++g) {
    std::vector<double> a(size_t(dg) * dg);
    for (int i = 0; i < dg; ++i) {
      double m = -1e300;
      for (int j = 0; j < dg; ++j) {
        double s = 0;
        for (int t = 0; t < n; ++t)
          s += double(qkv[size_t(t) * stride + g * dg + i]) * scale * qkv[size_t(t) * stride + c + g * dg + j];
        a[size_t(i) * dg + j] = s;
        m = std::max(m, s);
      }
      double sum = 0;
      for (int j = 0; j < dg; ++j) sum += (a[size_t(i) * dg + j] = std::exp(a[size_t(i) * dg + j] - m));
      for (int j = 0; j < dg; ++j) a[size_t(i) * dg + j] /= sum;
    }
    for (int t = 0; t < n; ++t)
      for (int i = 0; i < dg; ++i) {
        double acc = 0;
        for (int j = 0; j < dg; ++j) acc += a[size_t(i) * dg + j] * qkv[size_t(t) * stride + 2 * c + g * dg + j];
        out[size_t(t) * c + g * dg + i] = acc;
      }
  }
  return out;
}

}  // namespace

TEST_CASE("channel attention matches the reference on awkward shapes") {
  struct Case { int tokens, channels, groups, extra_stride; float range; };
  for (Case tc : {Case{1, 4, 1, 0, 1.0f}, Case{7, 12, 3, 0, 2.0f}, Case{37, 30, 5, 5, 3.0f}, Case{576, 64, 2, 0, 3.0f},
                  Case{5, 256, 1, 0, 2.0f}, Case{131, 96, 12, 1, 4.0f}}) {
    const int n = tc.tokens, c = tc.channels, stride = 3 * c + tc.extra_stride;
    INFO("N " << n << " C " << c << " groups " << tc.groups << " stride " << stride);
    const auto qkv = test::random_values(size_t(n) * stride, 41 + n, -tc.range, tc.range);
    GuardedBuffer q(qkv), attn(size_t(c) * (c / tc.groups)), out(size_t(n) * c);
    vk::Recorder rec(test::gpu());
    kernels::record_channel_attention(rec, {.qkv = q.ref(), .tokens = n, .channels = c, .groups = tc.groups,
                                            .qkv_stride = stride, .attn = attn.ref(), .out = out.ref()});
    rec.submit();
    test::expect_close(out.read(), reference(qkv, n, c, tc.groups, stride),
                       test::Tolerance::for_reduction(size_t(n) + c / tc.groups), "channel attention");
    CHECK(out.guards_intact());
    CHECK(attn.guards_intact());
    // Every attention row is a distribution (A is stored [Dg, C]: row (g, i) is column g·Dg + i).
    const std::vector<float> a = attn.read();
    const int dg = c / tc.groups;
    for (int r = 0; r < c; ++r) {
      double sum = 0;
      for (int j = 0; j < dg; ++j) sum += a[size_t(j) * c + r];
      REQUIRE_MESSAGE(std::abs(sum - 1.0) < 1e-5, "row " << r);
    }
  }
}

TEST_CASE("channel attention refuses groups it cannot hold and aliasing outputs") {
  GuardedBuffer qkv(3 * 300 * 2), attn(300 * 300), out(300 * 2);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_channel_attention(rec, {.qkv = qkv.ref(), .tokens = 2, .channels = 300,
                                                            .groups = 1, .attn = attn.ref(), .out = out.ref()}),
                    doctest::Contains("300 channels per group exceed"));
  CHECK_THROWS_WITH(kernels::record_channel_attention(rec, {.qkv = qkv.ref(), .tokens = 2, .channels = 30,
                                                            .groups = 4, .attn = attn.ref(), .out = out.ref()}),
                    doctest::Contains("not divisible by groups 4"));
  CHECK_THROWS_WITH(kernels::record_channel_attention(rec, {.qkv = qkv.ref(), .tokens = 2, .channels = 30,
                                                            .groups = 3, .attn = attn.ref(),
                                                            .out = kernels::BufferRef(qkv.buffer(), 200)}),
                    doctest::Contains("must not share a buffer"));
}

TEST_CASE("column means of rows, compensated: large values over many rows") {
  struct Case { int rows, cols, stride; };
  for (Case tc : {Case{1, 1, 0}, Case{9, 64, 0}, Case{577, 33, 40}, Case{4099, 3, 0}}) {
    INFO(tc.rows << "x" << tc.cols << " stride " << tc.stride);
    const int stride = tc.stride ? tc.stride : tc.cols;
    auto x = test::random_values(size_t(tc.rows) * stride, 51 + tc.rows, -1000.0f, 1000.0f);
    GuardedBuffer xb(x), y(tc.cols);
    vk::Recorder rec(test::gpu());
    kernels::record_mean_rows(rec, xb.ref(), tc.rows, tc.cols, tc.stride, y.ref());
    rec.submit();
    std::vector<double> want(tc.cols, 0.0);
    for (int r = 0; r < tc.rows; ++r)
      for (int c = 0; c < tc.cols; ++c) want[c] += x[size_t(r) * stride + c];
    for (double& v : want) v /= tc.rows;
    // One rounding of the sum and one of the division: a few ulps of the largest partial sum.
    test::expect_close(y.read(), want, {1e-4, 1e-6}, "mean rows");
    CHECK(y.guards_intact());
  }
}
