#version 450
// Linear layer, GPU-shaped matmul: y[m,n] = act(Σ_k x[m,k]·W[n,k] + b[n]) (+ r[m,n]).
// Weights in nn.Linear layout [N, Kp] (Kp = K rounded up to 2 so fp16 pairs pack into uints).
// Workgroup tile BM×BN, k-slabs of BK staged through shared memory; each thread owns a
// TM×TN register block (rows ty + i·BM/TM, columns tx + j·BN/TN):
//   for each k-slab: cooperative coalesced loads of x[BM,BK] and W[BN,BK] into shared (zero
//   outside M, N, K); barrier; acc[i][j] += As[kk][row i]·Bs[kk][col j]; barrier.
//   epilogue: bias, activation, residual, masked stores.
// Tile sizes are specialization constants chosen per device in C++; WEIGHTS_F16 reads fp16.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

layout(constant_id = 0) const uint BM = 64;
layout(constant_id = 1) const uint BN = 64;
layout(constant_id = 2) const uint BK = 16;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;
layout(constant_id = 5) const uint ACT = 0;
layout(constant_id = 6) const bool HAS_BIAS = false;
layout(constant_id = 7) const bool HAS_RESIDUAL = false;
layout(local_size_x_id = 8) in;  // = (BM/TM)·(BN/TN)

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

float weight(uint col, uint kk) {
#ifdef WEIGHTS_F16
  uint i = col * kp + kk;
  return unpackHalf2x16(w[i >> 1])[i & 1u];
#else
  return w[col * kp + kk];
#endif
}

shared float As[BK * BM];
shared float Bs[BK * BN];

void main() {
  const uint WG = (BM / TM) * (BN / TN);
  const uint t = gl_LocalInvocationID.x;
  const uint tx = t % (BN / TN), ty = t / (BN / TN);
  const uint row_base = gl_WorkGroupID.y * BM, col_base = gl_WorkGroupID.x * BN;

  float acc[TM][TN];
  [[unroll]] for (uint i = 0; i < TM; ++i)
    [[unroll]] for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < k; k0 += BK) {
    for (uint idx = t; idx < BM * BK; idx += WG) {
      const uint r = idx / BK, kk = idx % BK;
      const uint row = row_base + r, kg = k0 + kk;
      As[kk * BM + r] = (row < m && kg < k) ? x[x_offset + row * x_stride + kg] : 0.0;
    }
    for (uint idx = t; idx < BN * BK; idx += WG) {
      const uint c = idx / BK, kk = idx % BK;
      const uint col = col_base + c, kg = k0 + kk;
      Bs[kk * BN + c] = (col < n && kg < k) ? weight(col, kg) : 0.0;
    }
    barrier();
    [[unroll]] for (uint kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
      [[unroll]] for (uint i = 0; i < TM; ++i) a[i] = As[kk * BM + ty + i * (BM / TM)];
      [[unroll]] for (uint j = 0; j < TN; ++j) b[j] = Bs[kk * BN + tx + j * (BN / TN)];
      [[unroll]] for (uint i = 0; i < TM; ++i)
        [[unroll]] for (uint j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
    }
    barrier();
  }

  [[unroll]] for (uint i = 0; i < TM; ++i) {
    const uint row = row_base + ty + i * (BM / TM);
    if (row >= m) continue;
    [[unroll]] for (uint j = 0; j < TN; ++j) {
      const uint col = col_base + tx + j * (BN / TN);
      if (col >= n) continue;
      float v = acc[i][j];
      if (HAS_BIAS) v += bias[col];
      v = activate(v, ACT);
      if (HAS_RESIDUAL) v += residual[residual_offset + row * residual_stride + col];
      y[y_offset + row * y_stride + col] = v;
    }
  }
}
