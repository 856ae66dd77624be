// The GELU forms of gelu.glsl on the host, branch-free (both sides of each range test are
// computed and one is selected) so that GCC vectorises the row loop; the row function is cloned
// for AVX-512 and AVX2 and picked at load time. Built with -ffp-contract=off (CMakeLists.txt):
// the exact splits below rely on each product being rounded on its own, as `precise` does in GLSL.
#include "kernels/host_epilogue.h"

#include <bit>
#include <cstdint>
#include <limits>

namespace vkcap::kernels {

namespace {

#define VKCAP_INLINE inline __attribute__((always_inline))

VKCAP_INLINE float from_bits(uint32_t bits) { return std::bit_cast<float>(bits); }
VKCAP_INLINE uint32_t to_bits(float value) { return std::bit_cast<uint32_t>(value); }

// 2^e for e in [-126, 127] (a normal float built from its exponent bits).
VKCAP_INLINE float power_of_two(int32_t e) { return from_bits(uint32_t(e + 127) << 23); }

// e^(hi + lo), gelu.glsl's vkcap_exp2parts: Cody–Waite reduction, Taylor series to r^7.
VKCAP_INLINE float exp_two_parts(float hi, float lo) {
  const float x = hi + lo;
  const float clamped = x > 88.0f ? 88.0f : (x < -88.0f ? -88.0f : x);  // keeps the garbage lanes finite
  // Round to nearest even: adding and subtracting 1.5·2^23 leaves the integer (|v| < 2^22).
  const float n = (clamped * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (hi - n * 0.693145752f) + lo - n * 1.42860677e-6f;
  float p = 1.98412698e-4f;
  p = p * r + 1.38888889e-3f;
  p = p * r + 8.33333333e-3f;
  p = p * r + 4.16666667e-2f;
  p = p * r + 1.66666667e-1f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t e = int32_t(n), e1 = e / 2;  // two factors keep each representable near the ends
  float result = p * power_of_two(e1) * power_of_two(e - e1);
  result = x > 88.72f ? std::numeric_limits<float>::infinity() : result;
  result = x < -87.33f ? 0.0f : result;
  return x != x ? x : result;
}

// e^(−a²·scale) with the exact split a² = ah² + (a − ah)(a + ah), ah keeping 12 bits.
VKCAP_INLINE float exp_neg_square(float a, float scale) {
  const float ah = from_bits(to_bits(a) & 0xFFFFF000u);
  const float al = a - ah;
  const float hi = -(ah * ah) * scale;
  const float lo = -(al * (a + ah)) * scale;
  return exp_two_parts(hi, lo);
}

// P(s) with erf(z) = z·P(z²) for |z| < 0.75.
VKCAP_INLINE float erf_small(float s) {
  float p = -6.756479564e-04f;
  p = p * s + 5.115332112e-03f;
  p = p * s - 2.683511457e-02f;
  p = p * s + 1.128338654e-01f;
  p = p * s - 3.761261947e-01f;
  p = p * s + 1.128379166e+00f;
  return p;
}

// h(t) = z·e^(z²)·erfc(z) at t = 1/z, for z in [0.75, 9.5].
VKCAP_INLINE float erfc_tail(float t) {
  const float u = (t - 7.192982456e-01f) * (1.0f / 6.140350877e-01f);
  float p = 4.940358752e-05f;
  p = p * u - 6.537308291e-05f;
  p = p * u - 1.235910177e-04f;
  p = p * u + 2.771615874e-04f;
  p = p * u - 2.290814286e-04f;
  p = p * u + 2.412692992e-04f;
  p = p * u - 1.053702164e-04f;
  p = p * u - 9.277319173e-04f;
  p = p * u + 3.582672591e-03f;
  p = p * u - 8.038329244e-03f;
  p = p * u + 1.084784903e-02f;
  p = p * u + 5.784150930e-03f;
  p = p * u - 1.044774867e-01f;
  p = p * u + 4.733876966e-01f;
  return p;
}

// gelu.glsl's vkcap_gelu_erf: 0.5·x·(1 + erf(x/√2)), with the tail written as x − (1/√2)·
// e^(−x²/2)·h(√2/|x|) so that negative x lose nothing to cancellation.
VKCAP_INLINE float gelu_erf(float x) {
  const float kSqrtHalf = 0.707106781f, kSqrtTwo = 1.41421356f;
  const float a = x < 0.0f ? -x : x;
  const float small = 0.5f * x * (1.0f + (x * kSqrtHalf) * erf_small(0.5f * x * x));
  const float at = a < 1.06066017f ? 1.06066017f : (a > 13.4350288f ? 13.4350288f : a);  // finite lanes
  const float tail = kSqrtHalf * exp_neg_square(at, 0.5f) * erfc_tail(kSqrtTwo / at);
  const float middle = x > 0.0f ? x - tail : -tail;
  const float outer = x > 0.0f ? x : x * 0.0f;
  const float result = a < 1.06066017f ? small : (a >= 13.4350288f ? outer : middle);
  return x != x ? x : result;
}

// gelu.glsl's vkcap_gelu_tanh: 0.5·x·(1 + tanh(u)) = x / (1 + e^(−2u)).
VKCAP_INLINE float gelu_tanh(float x) {
  const float u = 0.797884561f * (x + 0.044715f * x * x * x);
  return x / (1.0f + exp_two_parts(-2.0f * u, 0.0f));
}

VKCAP_INLINE float activate(float v, Activation activation) {
  if (activation == Activation::GeluErf) return gelu_erf(v);
  if (activation == Activation::GeluTanh) return gelu_tanh(v);
  return v;
}

// Blocks of kLanes elements go through local arrays: dst may be the product or the residual,
// and only loops whose stores cannot alias their loads are vectorised without runtime checks.
template <Activation kActivation>
VKCAP_INLINE void epilogue(const float* product, const float* bias, const float* residual, float* dst, int n) {
  constexpr int kLanes = 32;
  int c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    float v[kLanes], r[kLanes];
    for (int i = 0; i < kLanes; ++i) v[i] = bias ? product[c + i] + bias[c + i] : product[c + i];
    for (int i = 0; i < kLanes; ++i) r[i] = residual ? residual[c + i] : 0.0f;
    for (int i = 0; i < kLanes; ++i) v[i] = activate(v[i], kActivation);
    if (residual)
      for (int i = 0; i < kLanes; ++i) v[i] += r[i];
    for (int i = 0; i < kLanes; ++i) dst[c + i] = v[i];
  }
  for (; c < n; ++c) {
    const float v = activate(bias ? product[c] + bias[c] : product[c], kActivation);
    dst[c] = residual ? v + residual[c] : v;
  }
}

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) void host_epilogue_row(
    const float* product, const float* bias, const float* residual, float* dst, int n, Activation activation) {
  switch (activation) {
    case Activation::None: return epilogue<Activation::None>(product, bias, residual, dst, n);
    case Activation::GeluErf: return epilogue<Activation::GeluErf>(product, bias, residual, dst, n);
    case Activation::GeluTanh: return epilogue<Activation::GeluTanh>(product, bias, residual, dst, n);
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void host_softmax_row(float* row, int n) {
  float m = row[0];
  for (int i = 1; i < n; ++i) m = row[i] > m ? row[i] : m;
  for (int i = 0; i < n; ++i) row[i] = exp_two_parts(row[i] - m, 0.0f);
  float sum = 0;  // in order: a float sum is not reassociated (and is cheap next to the exps)
  for (int i = 0; i < n; ++i) sum += row[i];
  for (int i = 0; i < n; ++i) row[i] /= sum;
}

float host_gelu_erf(float x) { return gelu_erf(x); }
float host_gelu_tanh(float x) { return gelu_tanh(x); }

}  // namespace vkcap::kernels
