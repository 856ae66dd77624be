// Shared include: accurate float exp / erf / erfc and the two GELU forms.
//   #extension GL_GOOGLE_include_directive : require
//   #include "gelu.glsl"
// Functions:
//   float vkcap_exp(float x)        e^x to ~1-2 ulp (own range reduction; not the driver's exp)
//   float vkcap_erf(float z)        erf(z), ~2e-7 relative
//   float vkcap_erfc(float z)       erfc(z), ~3e-7 relative, no cancellation for large z
//   float vkcap_gelu_erf(float x)   torch GELU(approximate='none') = 0.5·x·(1 + erf(x/√2))
//   float vkcap_gelu_tanh(float x)  HF "gelu_new" = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
//
// Math:
//   * |z| < 0.75: erf(z) = z·P(z²), P of degree 5 on s = z² ∈ [0, 0.5625].
//   * z ≥ 0.75:   erfc(z) = e^(−z²)·h(1/z)/z with h(t) = (1/t)·e^(1/t²)·erfc(1/t), a smooth
//     function of t ∈ [1/9.5, 4/3], evaluated as a degree-13 polynomial in
//     u = (t − 0.71929825)/0.61403509 ∈ [−1, 1]. erfc(z) is 0 in float beyond z ≈ 9.2.
//   * e^(−z²) is evaluated from an exact split z² = zh² + (z − zh)(z + zh) (zh keeps 12
//     significant bits so zh² is exact), so the rounding of z² does not cost ~2z² ulps.
//   * GELU(x) for x ≤ −1.06: 0.5·x·erfc(−x/√2) = −(1/√2)·e^(−x²/2)·h(√2/|x|)   (no 1 + erf(..)
//     cancellation; exact to float accuracy even where torch's float result has lost it);
//     for x ≥ 1.06: x − (1/√2)·e^(−x²/2)·h(√2/x).
//   * gelu_tanh uses 1 + tanh(u) = 2/(1 + e^(−2u)), i.e. x/(1 + e^(−2u)): no tanh overflow
//     (e^(−2u) → inf gives −0, → 0 gives x) and no cancellation for negative x.
// Coefficients: derived for this project (not taken from a publication) by Chebyshev
// interpolation (numpy.polynomial.chebyshev, 14 resp. 6 Chebyshev nodes) of the functions
// above computed with mpmath at 40 digits, converted to monomial form; max relative
// approximation error (in double): 8e-9 for h, 1.5e-9 for P; after rounding the
// coefficients to float, 3e-8 and 7e-8. The exp polynomial is the Taylor series of e^r on
// |r| ≤ ln2/2 (truncation error < 6e-9) after Cody–Waite reduction r = x − n·ln2_hi − n·ln2_lo.
#ifndef VKCAP_GELU_GLSL
#define VKCAP_GELU_GLSL

// e^(hi + lo) where |lo| is tiny relative to hi; hi − n·ln2_hi is exact for |hi| < ~100.
float vkcap_exp2parts(float hi, float lo) {
  precise float x = hi + lo;
  if (isnan(x)) return x;
  if (x > 88.72f) return 1.0f / 0.0f;
  if (x < -87.33f) return 0.0f;  // below FLT_MIN: no denormals
  float n = roundEven(x * 1.44269504f);
  precise float r = (hi - n * 0.693145752f) + lo - n * 1.42860677e-6f;
  // Taylor series of e^r to r^7, Horner form.
  float p = 1.98412698e-4f;       // 1/5040
  p = p * r + 1.38888889e-3f;     // 1/720
  p = p * r + 8.33333333e-3f;     // 1/120
  p = p * r + 4.16666667e-2f;     // 1/24
  p = p * r + 1.66666667e-1f;     // 1/6
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int e = int(n);
  // ldexp in two steps keeps each factor representable near the ends of the range.
  int e1 = e / 2;
  return ldexp(ldexp(p, e1), e - e1);
}

float vkcap_exp(float x) { return vkcap_exp2parts(x, 0.0f); }

// e^(−a²·scale) for scale ∈ {1, 0.5} with the exact split of a² described above.
float vkcap_exp_neg_square(float a, float scale) {
  float ah = uintBitsToFloat(floatBitsToUint(a) & 0xFFFFF000u);
  precise float al = a - ah;
  precise float hi = -(ah * ah) * scale;
  precise float lo = -(al * (a + ah)) * scale;
  return vkcap_exp2parts(hi, lo);
}

// P(s) with erf(z) = z·P(z²) for |z| < 0.75.
float vkcap_erf_small(float s) {
  float p = -6.756479564e-04f;
  p = p * s + 5.115332112e-03f;
  p = p * s - 2.683511457e-02f;
  p = p * s + 1.128338654e-01f;
  p = p * s - 3.761261947e-01f;
  p = p * s + 1.128379166e+00f;
  return p;
}

// h(t) = z·e^(z²)·erfc(z) at t = 1/z, for z ∈ [0.75, 9.5].
float vkcap_erfc_tail(float t) {
  float u = (t - 7.192982456e-01f) * (1.0f / 6.140350877e-01f);
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

// erfc(|z|) for |z| ≥ 0.75 (0 beyond 9.5).
float vkcap_erfc_large(float a) {
  if (a >= 9.5f) return 0.0f;
  float t = 1.0f / a;
  return vkcap_exp_neg_square(a, 1.0f) * vkcap_erfc_tail(t) * t;
}

float vkcap_erf(float z) {
  if (isnan(z)) return z;
  float a = abs(z);
  if (a < 0.75f) return z * vkcap_erf_small(z * z);
  return sign(z) * (1.0f - vkcap_erfc_large(a));
}

float vkcap_erfc(float z) {
  if (isnan(z)) return z;
  if (abs(z) < 0.75f) return 1.0f - z * vkcap_erf_small(z * z);
  if (z > 0.0f) return vkcap_erfc_large(z);
  return 2.0f - vkcap_erfc_large(-z);
}

// torch.nn.functional.gelu(x) (approximate='none').
float vkcap_gelu_erf(float x) {
  const float kSqrtHalf = 0.707106781f;   // 1/√2
  const float kSqrtTwo = 1.41421356f;
  if (isnan(x)) return x;
  float a = abs(x);
  if (a < 1.06066017f) {  // |x/√2| < 0.75
    float z = x * kSqrtHalf;
    return 0.5f * x * (1.0f + z * vkcap_erf_small(0.5f * x * x));
  }
  if (a >= 13.4350288f) return x > 0.0f ? x : x * 0.0f;  // |x/√2| ≥ 9.5
  // 0.5·|x|·erfc(|x|/√2) = (1/√2)·e^(−x²/2)·h(√2/|x|)
  float tail = kSqrtHalf * vkcap_exp_neg_square(a, 0.5f) * vkcap_erfc_tail(kSqrtTwo / a);
  return x > 0.0f ? x - tail : -tail;
}

// HF "gelu_new" / gelu_pytorch_tanh: 0.5·x·(1 + tanh(u)) = x / (1 + e^(−2u)).
float vkcap_gelu_tanh(float x) {
  if (isnan(x)) return x;
  float u = 0.797884561f * (x + 0.044715f * x * x * x);  // √(2/π)·(x + 0.044715·x³)
  return x / (1.0f + vkcap_exp(-2.0f * u));
}

#endif  // VKCAP_GELU_GLSL
