#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

// torch's exact GELU in double, written with erfc so negative x keeps full relative accuracy.
double gelu_erf_ref(double x) {
  const double z = std::abs(x) / std::sqrt(2.0);
  const double tail = 0.5 * std::abs(x) * std::erfc(z);
  return x >= 0 ? x - tail : -tail;
}
// HF gelu_new, 0.5·x·(1 + tanh(u)) = x / (1 + e^(−2u)) (same value, no cancellation).
double gelu_tanh_ref(double x) {
  const double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
  return x / (1.0 + std::exp(-2.0 * u));
}

std::vector<float> run_gelu(const std::vector<float>& x, kernels::Gelu kind) {
  GuardedBuffer in(x), out(x.size());
  vk::Recorder rec(test::gpu());
  kernels::record_gelu(rec, in.ref(), out.ref(), static_cast<int64_t>(x.size()), kind);
  rec.submit();
  CHECK(out.guards_intact());
  CHECK(in.guards_intact());
  return out.read();
}

// Dense sweep of [−10, 10] plus extremes.
std::vector<float> sweep() {
  std::vector<float> x;
  for (int i = -100000; i <= 100000; ++i) x.push_back(static_cast<float>(i * 1e-4));
  for (float v : {1e4f, -1e4f, 1e-4f, -1e-4f, 1e-30f, -1e-30f, 0.0f, -0.0f, 13.0f, -13.0f, 14.0f, -14.0f, 30.0f,
                  -30.0f, 1e20f, -1e20f, 3.4e38f, -3.4e38f})
    x.push_back(v);
  return x;
}

struct Errors {
  double max_rel = 0, max_abs_scaled = 0;  // rel: |err|/|ref| where |ref| > 1e-30; abs scaled: |err|/max(|x|,1)
};
Errors measure(const std::vector<float>& x, const std::vector<float>& y, double (*ref)(double)) {
  Errors e;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = ref(x[i]);
    const double err = std::abs(double(y[i]) - r);
    if (std::abs(r) > 1e-30) e.max_rel = std::max(e.max_rel, err / std::abs(r));
    e.max_abs_scaled = std::max(e.max_abs_scaled, err / std::max(1.0, std::abs(double(x[i]))));
  }
  return e;
}

}  // namespace

TEST_CASE("gelu erf form matches torch's exact GELU to ~1e-7 relative over [-10, 10] and extremes") {
  auto x = sweep();
  auto y = run_gelu(x, kernels::Gelu::Erf);
  Errors e = measure(x, y, gelu_erf_ref);
  MESSAGE("gelu erf: max rel err " << e.max_rel << ", max abs err / max(|x|,1) " << e.max_abs_scaled);
  CHECK(e.max_rel < 1e-6);
  CHECK(e.max_abs_scaled < 2e-7);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(std::isfinite(y[i]));
}

TEST_CASE("gelu tanh form (gelu_new) matches the double formula without overflow at large |x|") {
  auto x = sweep();
  auto y = run_gelu(x, kernels::Gelu::Tanh);
  Errors e = measure(x, y, gelu_tanh_ref);
  // The float u = √(2/π)(x + 0.044715x³) itself carries ~|u| ulps, which e^(−2u) turns into a
  // relative error of ~|2u|·6e-8 in the (tiny) negative tail; scale the relative error by that
  // condition number (torch's float formula has the same conditioning plus 1 + tanh cancellation).
  double max_conditioned = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = gelu_tanh_ref(x[i]);
    if (std::abs(r) < 1e-30) continue;
    const double u = std::sqrt(2.0 / M_PI) * (x[i] + 0.044715 * double(x[i]) * x[i] * x[i]);
    max_conditioned = std::max(max_conditioned, std::abs(y[i] - r) / std::abs(r) / (1.0 + std::abs(2.0 * u)));
  }
  MESSAGE("gelu tanh: max rel err " << e.max_rel << ", max rel err / (1 + |2u|) " << max_conditioned
                                    << ", max abs err / max(|x|,1) " << e.max_abs_scaled);
  CHECK(max_conditioned < 3e-7);
  CHECK(e.max_abs_scaled < 2e-7);
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(std::isfinite(y[i]));
}

TEST_CASE("gelu handles one element, odd counts, offsets and in-place") {
  for (size_t n : {size_t(1), size_t(63), size_t(65), size_t(1009)}) {
    auto x = test::random_values(n, 7 + uint32_t(n), -6.0f, 6.0f);
    std::vector<double> ref(n);
    for (size_t i = 0; i < n; ++i) ref[i] = gelu_erf_ref(x[i]);
    GuardedBuffer buf(x);
    vk::Recorder rec(test::gpu());
    kernels::record_gelu(rec, buf.ref(), buf.ref(), int64_t(n), kernels::Gelu::Erf);
    rec.submit();
    CHECK(buf.guards_intact());
    test::expect_close(buf.read(), ref, {1e-7, 1e-6}, "gelu in place n=" + std::to_string(n));
  }
}

TEST_CASE("gelu rejects a count beyond the buffer") {
  GuardedBuffer a(10), b(10);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_gelu(rec, a.ref(), b.ref(), 1000, kernels::Gelu::Erf),
                    doctest::Contains("kernels/ops gelu: x needs 1000 elements"));
}
