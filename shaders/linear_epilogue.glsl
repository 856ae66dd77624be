// The fused epilogue of the linear kernels: y = act(acc + bias) (+ residual).
// ACT: 0 none, 1 GELU with erf (nn.GELU(), BLIP), 2 GELU with tanh ("gelu_new", GPT-2).
//
// erf: GLSL has none, so it is built here from two fits made for this project (least squares
// on the relative error, coefficients rounded to float):
//   |t| < 1      erf(t)  = t·P(t²)                 (≤ 2e-7 relative, ~1 ulp)
//   1 ≤ |t| < 4  erfc(t) = exp(Q(t − 2.5))          (≤ 1e-7 absolute on erf, 2e-6 relative on erfc)
//   |t| ≥ 4      erfc(t) ≈ exp(−t²)/(t√π)·(1 − 1/(2t²) + 3/(4t⁴))   (asymptotic; erfc < 2e-8)
// GELU(x) = 0.5·x·(1 + erf(x/√2)), computed as 0.5·x·erfc(−x/√2) for x < 0 so the tail keeps
// its relative accuracy instead of cancelling to 0.
// gelu_new(x) = 0.5·x·(1 + tanh(u)) = x / (1 + exp(−2u)), u = √(2/π)(x + 0.044715x³): the
// sigmoid form never forms inf/inf, so it stays finite for any finite x.

float erf_small(float t) {  // t·P(t²), |t| < 1
  float u = t * t;
  float p = -0.0005726725212298334;
  p = p * u + 0.00493974331766367;
  p = p * u - 0.026729261502623558;
  p = p * u + 0.11280767619609833;
  p = p * u - 0.37612393498420715;
  p = p * u + 1.1283791065216064;
  return t * p;
}

float erfc_large(float t) {  // t ≥ 1
  if (t >= 4.0) {
    float r = 1.0 / (t * t);
    return exp(-t * t) * (0.5641895835477563 / t) * (1.0 - 0.5 * r + 0.75 * r * r);
  }
  float z = t - 2.5;
  float q = 1.6264066289295442e-06;
  q = q * z - 1.329058432020247e-05;
  q = q * z + 7.734441169304773e-05;
  q = q * z - 0.0004202102718409151;
  q = q * z + 0.00216522254049778;
  q = q * z - 0.010858452878892422;
  q = q * z - 0.9438936710357666;
  q = q * z - 5.352680683135986;
  q = q * z - 7.806815147399902;
  return exp(q);
}

float gelu_erf(float x) {
  float t = x * 0.7071067811865476;
  float a = abs(t);
  float erfc_a = a < 1.0 ? 1.0 - erf_small(a) : erfc_large(a);  // erfc(|t|)
  // 1 + erf(t): 2 − erfc(|t|) for t ≥ 0, erfc(|t|) for t < 0.
  float one_plus_erf = t >= 0.0 ? (a < 1.0 ? 1.0 + erf_small(a) : 2.0 - erfc_a) : erfc_a;
  return 0.5 * x * one_plus_erf;
}

float gelu_tanh(float x) {
  float u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * u));
}

float activate(float v, uint act) {
  if (act == 1u) return gelu_erf(v);
  if (act == 2u) return gelu_tanh(v);
  return v;
}
