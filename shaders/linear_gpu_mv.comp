#version 450
// Linear layer, GPU-shaped matrix-vector for M ≤ 8 rows (decode steps, beams):
//   y[m,n] = act(Σ_k x[m,k]·W[n,k] + b[n]) (+ r[m,n]),  W in nn.Linear layout [N, Kp].
// One workgroup per output column n: its WG threads split K (coalesced reads of the weight
// row, each weight read once for all M rows), each keeping M partial sums; subgroupAdd folds
// each subgroup, shared memory folds the subgroups, and thread r finishes row r.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint ACT = 0;
layout(constant_id = 2) const bool HAS_BIAS = false;
layout(constant_id = 3) const bool HAS_RESIDUAL = false;
layout(local_size_x_id = 0) in;

#include "linear_epilogue.glsl"

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
#ifdef WEIGHTS_F16
layout(std430, set = 0, binding = 1) readonly buffer W { uint w[]; };
#else
layout(std430, set = 0, binding = 1) readonly buffer W { float w[]; };
#endif
layout(std430, set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 3) readonly buffer Residual { float residual[]; };
layout(std430, set = 0, binding = 4) buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, residual_offset, y_offset;
  uint m, n, k, kp;
  uint x_stride, y_stride, residual_stride;
};

const uint MAX_ROWS = 8;
shared float partial[MAX_ROWS * WG];  // [row][subgroup]

void main() {
  const uint col = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (col >= n) return;  // uniform over the workgroup
  const uint t = gl_LocalInvocationID.x;

  float acc[MAX_ROWS];
  [[unroll]] for (uint r = 0; r < MAX_ROWS; ++r) acc[r] = 0.0;
  for (uint kk = t; kk < k; kk += WG) {
#ifdef WEIGHTS_F16
    const uint i = col * kp + kk;
    const float wv = unpackHalf2x16(w[i >> 1])[i & 1u];
#else
    const float wv = w[col * kp + kk];
#endif
    [[unroll]] for (uint r = 0; r < MAX_ROWS; ++r)
      if (r < m) acc[r] += x[x_offset + r * x_stride + kk] * wv;
  }
  [[unroll]] for (uint r = 0; r < MAX_ROWS; ++r) {
    const float s = subgroupAdd(acc[r]);
    if (subgroupElect()) partial[r * WG + gl_SubgroupID] = s;
  }
  barrier();
  if (t < m) {
    float v = 0.0;
    for (uint s = 0; s < gl_NumSubgroups; ++s) v += partial[t * WG + s];
    if (HAS_BIAS) v += bias[col];
    v = activate(v, ACT);
    if (HAS_RESIDUAL) v += residual[residual_offset + t * residual_stride + col];
    y[y_offset + t * y_stride + col] = v;
  }
}
