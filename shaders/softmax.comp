#version 450
#extension GL_GOOGLE_include_directive : require
// Row softmax:     y[i] = e^(x[i] − m) / Σ_j e^(x[j] − m),  m = max_j x[j]
// Row log-softmax: y[i] = (x[i] − m) − log Σ_j e^(x[j] − m)        (torch's formula)
// Row statistics:  y[2r] = m, y[2r + 1] = Σ_j e^(x[j] − m)   (mode 2: what generation needs to
//                  turn a row's few best logits into log-probabilities without reading the row)
// fp32 throughout, e^ via vkcap_exp (gelu.glsl: ~1 ulp, exact 0 for −inf).
// One workgroup per row: pass 1 strided max + shared tree, pass 2 strided Σe^(x−m) + tree,
// pass 3 writes. A masked logit (−inf) gives 0 / −inf; a row of only −inf gives NaN
// everywhere (−inf − (−inf)), as torch does. y may alias x (each element is read and written
// by the same invocation, after the last barrier).
#include "gelu.glsl"
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, y_offset, rows, n, mode;  // mode: 0 softmax, 1 log-softmax, 2 statistics
};

shared float partial[WG];

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= rows) return;
  uint t = gl_LocalInvocationID.x;
  uint xb = x_offset + row * n, yb = y_offset + row * n;  // yb: modes 0 and 1

  float m = -1.0 / 0.0;
  for (uint i = t; i < n; i += WG) m = max(m, x[xb + i]);
  partial[t] = m;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) partial[t] = max(partial[t], partial[t + s]);
    barrier();
  }
  m = partial[0];
  barrier();

  float sum = 0.0;
  for (uint i = t; i < n; i += WG) sum += vkcap_exp(x[xb + i] - m);
  partial[t] = sum;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) partial[t] += partial[t + s];
    barrier();
  }
  sum = partial[0];

  if (mode == 2) {
    if (t == 0) {
      y[y_offset + 2 * row] = m;
      y[y_offset + 2 * row + 1] = sum;
    }
  } else if (mode == 1) {
    float log_sum = log(sum);
    for (uint i = t; i < n; i += WG) y[yb + i] = (x[xb + i] - m) - log_sum;
  } else {
    for (uint i = t; i < n; i += WG) y[yb + i] = vkcap_exp(x[xb + i] - m) / sum;
  }
}
