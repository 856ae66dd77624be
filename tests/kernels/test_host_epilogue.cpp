// The host products' epilogue (kernels/host_epilogue.h): its GELU forms against double-precision
// references over the whole float range that matters, special values, and the vectorised row
// function against the element function bit for bit (same code, other instruction set).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/host_epilogue.h"

using namespace vkcap;

namespace {

double reference_gelu_erf(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
// 0.5·x·(1 + tanh(u)) = x / (1 + e^(−2u)), the form without cancellation for negative x.
double reference_gelu_tanh(double x) {
  return x / (1.0 + std::exp(-2.0 * std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

// Values from -20 to 20 in fine steps (both polynomial ranges, their seams at ±1.06 and ±13.44,
// and the far tails where GELU is 0 or x).
std::vector<float> sweep() {
  std::vector<float> xs;
  for (int i = -200000; i <= 200000; ++i) xs.push_back(float(i) * 1e-4f);
  for (float x : {1.06066017f, -1.06066017f, 13.4350288f, -13.4350288f, 1e-30f, -1e-30f, 87.0f, -87.0f, 1e30f})
    xs.push_back(x);
  return xs;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

}  // namespace

TEST_CASE("host GELU (erf form) is within a few float ulps of the double reference") {
  double worst = 0;
  for (float x : sweep()) {
    const double expected = reference_gelu_erf(x);
    const double error = std::abs(kernels::host_gelu_erf(x) - expected);
    // erf's own ~2e-7, grown where 1 + erf(x/√2) cancels (x near -1: up to 3x), and no
    // promise below the smallest normal float.
    const double allowed = 4e-7 * std::abs(expected) + 1e-7 * std::abs(x) * (x < 0) + 2e-38;
    if (error > allowed) FAIL_CHECK("gelu_erf(" << x << ") = " << kernels::host_gelu_erf(x) << ", expected " << expected);
    if (std::abs(expected) > 1e-30) worst = std::max(worst, error / std::abs(expected));
  }
  MESSAGE("worst relative error " << worst);
  CHECK(std::isnan(kernels::host_gelu_erf(std::numeric_limits<float>::quiet_NaN())));
  CHECK(kernels::host_gelu_erf(std::numeric_limits<float>::infinity()) == std::numeric_limits<float>::infinity());
  CHECK(kernels::host_gelu_erf(-1e30f) == 0.0f);
}

TEST_CASE("host GELU (tanh form) matches the double reference") {
  for (float x : sweep()) {
    const double expected = reference_gelu_tanh(x);
    // u = √(2/π)·(x + 0.044715·x³) rounds to float first; e^(−2u) turns that into a relative
    // error of about 2·|u|·2^-23 (and overflows below ~-1e-37).
    const double u = std::sqrt(2.0 / M_PI) * std::abs(x + 0.044715 * double(x) * x * x);
    const double allowed = (1e-6 + 5e-7 * u) * std::abs(expected) + 1e-37;
    if (std::abs(kernels::host_gelu_tanh(x) - expected) > allowed)
      FAIL_CHECK("gelu_tanh(" << x << ") = " << kernels::host_gelu_tanh(x) << ", expected " << expected);
  }
}

TEST_CASE("the vectorised epilogue row equals the element functions, with bias, residual and in place") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> wide(-16.0f, 16.0f);
  for (int n : {1, 7, 31, 32, 33, 100, 1000}) {
    std::vector<float> product(n), bias(n), residual(n);
    for (int i = 0; i < n; ++i) product[i] = wide(rng), bias[i] = wide(rng) / 8, residual[i] = wide(rng);
    if (n > 3) product[3] = std::numeric_limits<float>::quiet_NaN();
    for (kernels::Activation act :
         {kernels::Activation::None, kernels::Activation::GeluErf, kernels::Activation::GeluTanh}) {
      auto element = [&](int i) {
        const float v = product[i] + bias[i];
        const float a = act == kernels::Activation::GeluErf    ? kernels::host_gelu_erf(v)
                        : act == kernels::Activation::GeluTanh ? kernels::host_gelu_tanh(v)
                                                               : v;
        return a + residual[i];
      };
      std::vector<float> out(n);
      kernels::host_epilogue_row(product.data(), bias.data(), residual.data(), out.data(), n, act);
      std::vector<float> in_place = residual;  // dst is the residual, as in a residual layer
      kernels::host_epilogue_row(product.data(), bias.data(), in_place.data(), in_place.data(), n, act);
      for (int i = 0; i < n; ++i) {
        if (!same_bits(out[i], element(i))) FAIL_CHECK("n " << n << " element " << i << ": " << out[i] << " vs " << element(i));
        if (!same_bits(in_place[i], element(i))) FAIL_CHECK("in place, n " << n << " element " << i);
      }
    }
    std::vector<float> bare = product;  // no bias, no residual, dst = product
    kernels::host_epilogue_row(bare.data(), nullptr, nullptr, bare.data(), n, kernels::Activation::GeluErf);
    for (int i = 0; i < n; ++i) CHECK(same_bits(bare[i], kernels::host_gelu_erf(product[i])));
  }
}
