#include "kernels/linear_half.h"

#include <immintrin.h>

#include <bit>
#include <cmath>

namespace vkcap::kernels {

uint16_t float_to_half(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // inf stays inf, NaN stays a (quiet) NaN
    return sign | (magnitude == 0x7f800000u ? 0x7c00u : 0x7e00u);
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;  // ≥ 65520 rounds to inf
  if (magnitude < 0x38800000u) {
    // Below 2^-14: a half subnormal, i.e. an integer count of 2^-24. Scaling by 2^24 is exact
    // and nearbyint rounds to nearest even in the default rounding mode; 1024 becomes the
    // smallest normal, as it should.
    const float scaled = std::bit_cast<float>(magnitude) * 16777216.0f;
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  // Normal: rebias the exponent (127 → 15) and drop 13 mantissa bits, rounding to nearest even.
  const uint32_t rebased = magnitude - (112u << 23);
  uint32_t half = rebased >> 13;
  const uint32_t rest = rebased & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return sign | static_cast<uint16_t>(half);
}

float half_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    const float v = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // · 2^-24
    return std::bit_cast<float>(std::bit_cast<uint32_t>(v) | sign);
  }
  // inf, or a NaN with its payload, quieted as the CPU's conversion instruction does.
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13) | (mantissa ? 0x400000u : 0u));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

namespace {

// The same three cases as half_to_float, all computed and one selected, so that GCC vectorises
// the loop (CMakeLists.txt gives this file the flags that needs); for CPUs without F16C.
void widen_portable(const uint16_t* halves, float* floats, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const uint32_t half = halves[i];
    const uint32_t sign = (half & 0x8000u) << 16, exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
    const uint32_t subnormal = std::bit_cast<uint32_t>(static_cast<float>(mantissa) * 5.9604644775390625e-8f) | sign;
    const uint32_t special = sign | 0x7f800000u | (mantissa << 13) | (mantissa ? 0x400000u : 0u);
    const uint32_t normal = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    floats[i] = std::bit_cast<float>(exponent == 0 ? subnormal : exponent == 31 ? special : normal);
  }
}

// The conversion instruction (exact, like half_to_float): 16 or 8 halves per instruction.
// (GCC 12 warns inside its own _mm512_cvtph_ps about a value it sets through a mask it never uses.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) void widen_avx512(const uint16_t* halves, float* floats, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(floats + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(halves + i))));
  widen_portable(halves + i, floats + i, n - i);
}

#pragma GCC diagnostic pop

__attribute__((target("avx,f16c"))) void widen_f16c(const uint16_t* halves, float* floats, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(floats + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(halves + i))));
  widen_portable(halves + i, floats + i, n - i);
}

}  // namespace

// Slowest first, so the last is the one to use.
std::vector<HalfWidening> half_widenings_on_this_cpu() {
  __builtin_cpu_init();
  std::vector<HalfWidening> ways{{"portable", widen_portable}};
  if (__builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx")) ways.push_back({"f16c", widen_f16c});
  if (__builtin_cpu_supports("avx512f")) ways.push_back({"avx512f", widen_avx512});
  return ways;
}

void halves_to_floats(const uint16_t* halves, float* floats, size_t n) {
  static const auto widen = half_widenings_on_this_cpu().back().widen;
  widen(halves, floats, n);
}

}  // namespace vkcap::kernels
