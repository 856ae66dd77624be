#version 450
// Linear layer for CPU Vulkan drivers (lavapipe): y[m,n] = act(Σ_k x[m,k]·W[k,n] + b[n]) (+ r[m,n]).
// The matmul ("sgkp", RB ≤ 6 rows per subgroup); record_linear uses it for M > 8 and
// linear_cpu_mv.comp (same weights) for decode-sized M ≤ 8.
//
// Weights are panel-packed at load time (src/kernels/linear_pack.cpp): panel p holds columns
// [p·PW, p·PW + PW), PW = 4·SG, as SG lane streams; stream l holds, for k = 0..Kp−1, the 4
// weights W[k, p·PW + 4l .. +3] contiguously (Kp = K rounded up to 8, zero padded; columns past
// N zero padded), and streams are `ls` elements apart (4·Kp plus one cache line of skew, so the
// SG streams do not share L1 sets). One workgroup = one subgroup computes RB rows × one panel:
//   lane l owns columns 4l..4l+3 of the panel and keeps one vec4 accumulator per row.
//   for each block of 8 k's:
//     lane l loads a[r] = x[row r][k0 + (l & 7)]                 (one gather per row)
//     for j in 0..7:  w = stream l [k0 + j]                       (f32: 2 uint64 gathers; f16: 1)
//                     acc[r] += subgroupBroadcast(a[r], j) · w    (register shuffle)
//   epilogue: bias, activation, residual, masked stores.
// Every buffer is reached through buffer_reference pointers in push constants: llvmpipe turns
// those loads into single hardware gathers, while descriptor loads become per-lane loops
// (docs/lavapipe.md). WEIGHTS_F16: the panel holds fp16 read 4 at a time as one uint64.
// WEIGHT_TEXELS: the weights are read instead through a uniform texel buffer view of the same
// bytes: one RGBA32F texel = one lane's 4 weights of one k; fp16: one RGBA32UI texel = 8 halves
// = two k steps (llvmpipe makes each fetch a call that spills the accumulators, so fewer is better).
// Why: on CPUs without fast gathers (AVX2 only) LLVM splits each buffer_reference gather into 8
// branchy one-lane loads, while llvmpipe compiles a texel fetch into 8 unmasked 16-byte loads and
// a transpose — about twice the GEMM throughput measured on an AVX2 EPYC (docs/performance.md).
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

layout(constant_id = 0) const uint SG = 8;         // subgroup size = workgroup size (≥ 8)
layout(constant_id = 1) const uint RB = 6;         // rows per workgroup
layout(constant_id = 2) const uint ACT = 0;        // see linear_epilogue.glsl
layout(constant_id = 3) const bool HAS_BIAS = false;
layout(constant_id = 4) const bool HAS_RESIDUAL = false;
layout(local_size_x_id = 0) in;

#include "linear_epilogue.glsl"

#ifdef WEIGHT_TEXELS
#extension GL_EXT_samplerless_texture_functions : require
#ifdef WEIGHTS_F16
layout(binding = 0) uniform utextureBuffer weight_texels;  // RGBA32UI: 8 halves = 2 k steps of a lane
#else
layout(binding = 0) uniform textureBuffer weight_texels;   // RGBA32F: 4 floats = 1 k step of a lane
#endif
#endif
layout(buffer_reference, std430, buffer_reference_align = 4) buffer Floats { float v[]; };
layout(buffer_reference, std430, buffer_reference_align = 8) readonly buffer Words64 { uint64_t v[]; };

layout(push_constant) uniform Params {
  uint64_t x_address, w_address, bias_address, residual_address, y_address;
  uint m, n, k, kp;             // kp: K padded to 8 in the panel
  uint x_stride, y_stride, residual_stride;
  uint ls;                      // elements between two lane streams of a panel
};

const uint PW = 4u * SG;  // panel width in columns

void main() {
  const uint lane = gl_SubgroupInvocationID;
  const uint panel = gl_WorkGroupID.y;
  const uint row0 = gl_WorkGroupID.x * RB;

  // Rows past M re-read row M−1 (always valid memory) and are not stored. Addresses are kept
  // as per-lane 64-bit pointers advanced by constants: the gathers then need no index
  // arithmetic, and the 8 steps of a block fold their offsets into the gather displacement.
  uint x_row[RB];  // byte offset of each row
  [[unroll]] for (uint r = 0; r < RB; ++r) x_row[r] = min(row0 + r, m - 1u) * x_stride * 4u;
  uint64_t xp = x_address + uint64_t(lane & 7u) * 4u;

  vec4 acc[RB];
  [[unroll]] for (uint r = 0; r < RB; ++r) acc[r] = vec4(0.0);

#if defined(WEIGHT_TEXELS) && defined(WEIGHTS_F16)
  // Texel index of this lane's stream at k = 0 (16-byte texels; ls is a multiple of 8 halves).
  // A fetch is a call into llvmpipe's texel function, which spills the accumulators: one
  // fetch per two k steps halves that cost.
  int wt = int((panel * SG + lane) * (ls / 8u));
#define LOAD_W2(j) vec4 w0, w1; { uvec4 t = texelFetch(weight_texels, wt + int(j) / 2); \
  w0 = vec4(unpackHalf2x16(t.x), unpackHalf2x16(t.y)); w1 = vec4(unpackHalf2x16(t.z), unpackHalf2x16(t.w)); }
#define ADVANCE_W wt += 4;
#elif defined(WEIGHT_TEXELS)
  // Texel index of this lane's stream at k = 0 (ls is a multiple of 4: one texel per k).
  int wt = int((panel * SG + lane) * (ls / 4u));
#define LOAD_W(j) vec4 w = texelFetch(weight_texels, wt + int(j));
#define ADVANCE_W wt += 8;
#else
#ifdef WEIGHTS_F16
  const uint W_BYTES = 2u;
#define LOAD_W(j) \
  vec4 w; { uvec2 h = unpackUint2x32(Words64(wp + (j) * W_ROW).v[0]); \
            w = vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y)); }
#else
  const uint W_BYTES = 4u;
#define LOAD_W(j) \
  vec4 w; { Words64 row = Words64(wp + (j) * W_ROW); \
            uvec2 lo = unpackUint2x32(row.v[0]); uvec2 hi = unpackUint2x32(row.v[1]); \
            w = vec4(uintBitsToFloat(lo), uintBitsToFloat(hi)); }
#endif
  // Bytes of one k step of a lane stream: each gather touches SG cache lines, one per lane.
  const uint W_ROW = 4u * W_BYTES;
  uint64_t wp = w_address + uint64_t(panel * SG + lane) * ls * W_BYTES;
#define ADVANCE_W wp += 8u * W_ROW;
#endif
#ifdef LOAD_W2  // one load for steps j and j + 1
#define STEP2(j) { LOAD_W2(j) [[unroll]] for (uint r = 0; r < RB; ++r) { \
  acc[r] += subgroupBroadcast(a[r], j) * w0; acc[r] += subgroupBroadcast(a[r], j + 1) * w1; } }
#else
#define STEP(j) { LOAD_W(j) \
  [[unroll]] for (uint r = 0; r < RB; ++r) acc[r] += subgroupBroadcast(a[r], j) * w; }
#define STEP2(j) STEP(j) STEP(j + 1)
#endif
#define BLOCK STEP2(0) STEP2(2) STEP2(4) STEP2(6)

  const uint k_full = k & ~7u;
  for (uint k0 = 0; k0 < k_full; k0 += 8u) {
    float a[RB];
    [[unroll]] for (uint r = 0; r < RB; ++r) a[r] = Floats(xp + x_row[r]).v[0];
    BLOCK
    ADVANCE_W
    xp += 32u;
  }
  if (k_full < k) {  // K tail: the panel is zero padded to kp, x is masked
    float a[RB];
    const bool inside = k_full + (lane & 7u) < k;
    [[unroll]] for (uint r = 0; r < RB; ++r) {
      a[r] = 0.0;
      if (inside) a[r] = Floats(xp + x_row[r]).v[0];
    }
    BLOCK
  }

  Floats Y = Floats(y_address);
  Floats B = Floats(bias_address);
  Floats R = Floats(residual_address);
  const uint col0 = panel * PW + 4u * lane;
  [[unroll]] for (uint r = 0; r < RB; ++r) {
    const uint row = row0 + r;
    if (row >= m) break;
    [[unroll]] for (uint c = 0; c < 4u; ++c) {
      const uint col = col0 + c;
      if (col < n) {
        float v = acc[r][c];
        if (HAS_BIAS) v += B.v[col];
        v = activate(v, ACT);
        if (HAS_RESIDUAL) v += R.v[row * residual_stride + col];
        Y.v[row * y_stride + col] = v;
      }
    }
  }
}
