#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

// torch.nn.LayerNorm in double: biased variance, eps inside the sqrt.
std::vector<double> layer_norm_ref(const std::vector<float>& x, const std::vector<float>* residual, int rows, int d,
                                   int stride, const std::vector<float>& g, const std::vector<float>& b, double eps) {
  std::vector<double> y(size_t(rows) * d);
  for (int r = 0; r < rows; ++r) {
    std::vector<double> v(d);
    for (int i = 0; i < d; ++i) v[i] = double(x[size_t(r) * stride + i]) + (residual ? double((*residual)[size_t(r) * d + i]) : 0.0);
    double mean = 0, var = 0;
    for (double e : v) mean += e;
    mean /= d;
    for (double e : v) var += (e - mean) * (e - mean);
    var /= d;
    for (int i = 0; i < d; ++i) y[size_t(r) * d + i] = (v[i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
  }
  return y;
}

}  // namespace

TEST_CASE("layer_norm matches torch over row lengths 1..4096 with strided input") {
  struct Shape { int rows, d, stride_pad; };
  // Odd pads make the Cpu variant read single floats, even ones 64-bit pairs (where d is even).
  for (vk::KernelVariant variant : test::kernel_variants())
  for (Shape s : {Shape{1, 1, 3}, Shape{3, 32, 3}, Shape{5, 40, 2}, Shape{7, 48, 3}, Shape{2, 64, 0}, Shape{13, 97, 3},
                  Shape{4, 768, 0}, Shape{577, 768, 2}, Shape{3, 1024, 3}, Shape{2, 4096, 2}, Shape{1, 5003, 3}}) {
    CAPTURE(test::variant_name(variant));
    const int stride = s.d + s.stride_pad;  // a row may be a slice of a wider buffer
    auto x = test::random_values(size_t(s.rows) * stride, 11 + s.d, -2.0f, 3.0f);
    auto g = test::random_values(s.d, 12 + s.d, 0.5f, 1.5f);
    auto b = test::random_values(s.d, 13 + s.d, -0.5f, 0.5f);
    GuardedBuffer xb(x), gb(g), bb(b), yb(size_t(s.rows) * s.d);
    vk::Recorder rec(test::gpu());
    kernels::LayerNormArgs a;
    a.x = xb.ref(), a.x_stride = stride, a.gamma = gb.ref(), a.beta = bb.ref(), a.y = yb.ref(), a.y_stride = s.d;
    a.rows = s.rows, a.d = s.d, a.eps = 1e-12f;
    kernels::record_layer_norm(rec, a, variant);
    rec.submit();
    CHECK(yb.guards_intact());
    // d = 1: the row is its own mean, so y = beta exactly.
    test::expect_close(yb.read(), layer_norm_ref(x, nullptr, s.rows, s.d, stride, g, b, 1e-12),
                       test::Tolerance::for_reduction(s.d, 1e-6, 1e-5), "layer_norm d=" + std::to_string(s.d));
  }
}

TEST_CASE("layer_norm statistics are robust to a large mean and tiny or huge magnitudes") {
  for (vk::KernelVariant variant : test::kernel_variants()) {
  CAPTURE(test::variant_name(variant));
  const int rows = 3, d = 768;
  std::vector<float> x(size_t(rows) * d);
  auto noise = test::random_values(x.size(), 5);
  for (int i = 0; i < d; ++i) {
    x[i] = 1e4f + noise[i];                    // mean 1e4, spread 1: naive E[x²]−E[x]² loses it
    x[d + i] = 1e-4f * noise[d + i];           // tiny values, variance 3e-9 with eps 1e-12
    x[2 * d + i] = 1e4f * noise[2 * d + i];    // huge spread
  }
  std::vector<float> g(d, 1.0f), b(d, 0.0f);
  GuardedBuffer xb(x), gb(g), bb(b), yb(x.size());
  vk::Recorder rec(test::gpu());
  kernels::LayerNormArgs a;
  a.x = xb.ref(), a.x_stride = d, a.gamma = gb.ref(), a.beta = bb.ref(), a.y = yb.ref(), a.y_stride = d;
  a.rows = rows, a.d = d, a.eps = 1e-12f;
  kernels::record_layer_norm(rec, a, variant);
  rec.submit();
  // Row 0's inputs are only known to ~1e-3 absolute (float spacing at 1e4 is 1e-3), which the
  // reference sees exactly, so the result is good to the ~1e-3 relative of the input data.
  auto ref = layer_norm_ref(x, nullptr, rows, d, d, g, b, 1e-12);
  auto y = yb.read();
  test::expect_close(std::span(y).subspan(0, d), std::span(ref).subspan(0, d), {2e-3, 2e-3}, "mean 1e4");
  test::expect_close(std::span(y).subspan(d), std::span(ref).subspan(d), test::Tolerance::for_reduction(d, 1e-6, 1e-5),
                     "tiny and huge rows");
  }
}

TEST_CASE("layer_norm adds the residual first (post-LN) and may write in place") {
  const int rows = 17, d = 48;
  auto x = test::random_values(size_t(rows) * d, 21);
  auto res = test::random_values(size_t(rows) * d, 22, -3.0f, 3.0f);
  auto g = test::random_values(d, 23, 0.5f, 1.5f);
  auto b = test::random_values(d, 24);
  auto ref = layer_norm_ref(x, &res, rows, d, d, g, b, 1e-5);
  for (vk::KernelVariant variant : test::kernel_variants())
  for (bool into_residual : {false, true}) {
    CAPTURE(test::variant_name(variant));
    GuardedBuffer xb(x), rb(res), gb(g), bb(b);
    vk::Recorder rec(test::gpu());
    kernels::LayerNormArgs a;
    a.x = xb.ref(), a.x_stride = d, a.residual = rb.ref(), a.residual_stride = d, a.gamma = gb.ref(), a.beta = bb.ref();
    a.y = into_residual ? rb.ref() : xb.ref(), a.y_stride = d, a.rows = rows, a.d = d;
    kernels::record_layer_norm(rec, a, variant);
    rec.submit();
    GuardedBuffer& out = into_residual ? rb : xb;
    CHECK(out.guards_intact());
    test::expect_close(out.read(), ref, test::Tolerance::for_reduction(d), into_residual ? "y = residual" : "y = x");
  }
}

TEST_CASE("layer_norm rejects bad shapes with a clear message") {
  vk::Buffer x = test::gpu().create_buffer(64 * 4), g = test::gpu().create_buffer(8 * 4),
             b = test::gpu().create_buffer(8 * 4), y = test::gpu().create_buffer(64 * 4);
  vk::Recorder rec(test::gpu());
  kernels::LayerNormArgs a;
  a.x = x, a.x_stride = 8, a.gamma = g, a.beta = b, a.y = y, a.y_stride = 8, a.rows = 8, a.d = 16;
  CHECK_THROWS_WITH(kernels::record_layer_norm(rec, a), doctest::Contains("layer_norm: x_stride = 8 is out of range"));
  a.d = 8, a.x_stride = 8, a.rows = 9;
  CHECK_THROWS_WITH(kernels::record_layer_norm(rec, a), doctest::Contains("layer_norm: x needs 72 elements"));
}
