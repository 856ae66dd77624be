#version 450
// Matrix-vector linear layer for CPU Vulkan drivers (lavapipe), M ≤ 8 rows (decode steps, beams):
//   y[m,n] = act(Σ_k x[m,k]·W[k,n] + b[n]) (+ r[m,n]).
// Same panel-packed weights as linear_cpu.comp (src/kernels/linear_pack.cpp): panel p holds
// columns [p·PW, p·PW + PW), PW = 4·SG, as SG lane streams; stream l holds, for k = 0..Kp−1,
// the 4 weights W[k, p·PW + 4l .. +3] contiguously (Kp = K rounded up to 8), and streams are
// `ls` elements apart (4·Kp plus a one-cache-line skew).
// One workgroup = one subgroup computes RB rows × P panels:
//   lane l owns columns 4l..4l+3 of each of its P panels, one vec4 accumulator per row and panel.
//   for each block of 8 k's:
//     lane l loads a[r] = x[row r][k0 + (l & 7)]                (one gather per row)
//     for j in 0..7, panel q:  w = stream(q, l)[k0 + j]          (f32: 2 uint64 gathers; f16: 1)
//                              acc[r][q] += subgroupBroadcast(a[r], j) · w
//   epilogue: bias, activation, residual, masked stores.
// Why this shape (docs/lavapipe.md): every load is a hardware gather, and a gather stalls
// until its slowest lane arrives; with lane streams each gather touches SG different cache lines
// (SG memory requests in flight) instead of one, and P panels add P independent streams per
// lane. All RB rows share each weight load, so beams cost almost nothing extra.
// WEIGHT_TEXELS: weights read through a uniform texel buffer view (one RGBA32F texel = one lane's
// 4 weights of one k; fp16: one RGBA32UI texel = 2 k's); see linear_cpu.comp for why.
// IN_NORM: the rows are layer-normalised on load, x ← LN(x + norm_residual)·gamma + beta (fp32
// two-pass mean and biased variance, like layer_norm_cpu.comp): every workgroup computes its rows'
// statistics (2·K scalar loads per row: cheap beside its weight panels for 1–2 rows and a few
// dozen workgroups, not for beams or an LM head, see linear_folds_norm), and the workgroups of
// panel group 0 also write the normalised rows to norm_out for later use as a residual (unless
// NORM_WRITES_OUT is off: pre-norm blocks never read them). This folds
// a decode step's layer norms into the next matrix-vector dispatch: on lavapipe each dispatch
// costs ~0.1 ms.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

layout(constant_id = 0) const uint SG = 8;         // subgroup size = workgroup size (≥ 8)
layout(constant_id = 1) const uint RB = 1;         // rows per workgroup (≤ 8)
layout(constant_id = 2) const uint ACT = 0;        // see linear_epilogue.glsl
layout(constant_id = 3) const bool HAS_BIAS = false;
layout(constant_id = 4) const bool HAS_RESIDUAL = false;
layout(constant_id = 5) const uint P = 1;          // panels per workgroup
layout(constant_id = 6) const bool IN_NORM = false;
layout(constant_id = 7) const bool NORM_HAS_RESIDUAL = false;
layout(constant_id = 8) const bool NORM_WRITES_OUT = true;  // false: norm_out is the caller's scratch
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
  // IN_NORM only: norm_residual and norm_out rows have x's stride.
  uint64_t norm_residual_address, gamma_address, beta_address, norm_out_address;
  float norm_eps;
};

const uint PW = 4u * SG;  // panel width in columns

// One long main on purpose: split into steps sharing their state through private globals, the
// same kernel ran 1.3–2× slower on lavapipe (vkcap bench kernels --only matvec, both orders,
// AVX-512 EPYC): llvmpipe keeps such globals in memory, where locals stay in vector registers.
void main() {
  const uint lane = gl_SubgroupInvocationID;
  const uint panels = (n + PW - 1u) / PW;
  const uint panel0 = gl_WorkGroupID.y * P;
  const uint row0 = gl_WorkGroupID.x * RB;

  // Rows past M re-read row M−1 and panels past the last re-read the last one (always valid
  // memory); neither is stored.
  uint x_row[RB];  // byte offset of each row
  [[unroll]] for (uint r = 0; r < RB; ++r) x_row[r] = min(row0 + r, m - 1u) * x_stride * 4u;
  uint64_t xp = x_address + uint64_t(lane & 7u) * 4u;

#if defined(WEIGHT_TEXELS) && defined(WEIGHTS_F16)
  // Texel index of each panel's stream for this lane at k = 0 (16-byte texels: 2 k steps).
  int wt[P];
  [[unroll]] for (uint q = 0; q < P; ++q) wt[q] = int((min(panel0 + q, panels - 1u) * SG + lane) * (ls / 8u));
#define LOAD_W2(q, j) vec4 w0, w1; { uvec4 t = texelFetch(weight_texels, wt[q] + int(j) / 2); \
  w0 = vec4(unpackHalf2x16(t.x), unpackHalf2x16(t.y)); w1 = vec4(unpackHalf2x16(t.z), unpackHalf2x16(t.w)); }
#define ADVANCE_W [[unroll]] for (uint q = 0; q < P; ++q) wt[q] += 4;
#elif defined(WEIGHT_TEXELS)
  // Texel index of each panel's stream for this lane at k = 0 (one RGBA texel per k).
  int wt[P];
  [[unroll]] for (uint q = 0; q < P; ++q) wt[q] = int((min(panel0 + q, panels - 1u) * SG + lane) * (ls / 4u));
#define LOAD_W(q, j) vec4 w = texelFetch(weight_texels, wt[q] + int(j));
#define ADVANCE_W [[unroll]] for (uint q = 0; q < P; ++q) wt[q] += 8;
#else
#ifdef WEIGHTS_F16
  const uint W_BYTES = 2u;
#define LOAD_W(q, j) \
  vec4 w; { uvec2 h = unpackUint2x32(Words64(wp[q] + (j) * 8u).v[0]); \
            w = vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y)); }
#else
  const uint W_BYTES = 4u;
#define LOAD_W(q, j) \
  vec4 w; { Words64 row = Words64(wp[q] + (j) * 16u); \
            uvec2 lo = unpackUint2x32(row.v[0]); uvec2 hi = unpackUint2x32(row.v[1]); \
            w = vec4(uintBitsToFloat(lo), uintBitsToFloat(hi)); }
#endif
  uint64_t wp[P];
  [[unroll]] for (uint q = 0; q < P; ++q)
    wp[q] = w_address + uint64_t(min(panel0 + q, panels - 1u) * SG + lane) * ls * W_BYTES;
#define ADVANCE_W [[unroll]] for (uint q = 0; q < P; ++q) wp[q] += 32u * W_BYTES;
#endif

  // IN_NORM: each row's mean and 1/sqrt(var + eps) over its K values.
  float mean[RB], rstd[RB];
  if (IN_NORM) {
    [[unroll]] for (uint r = 0; r < RB; ++r) {
      const uint64_t xr = x_address + x_row[r], rr = norm_residual_address + x_row[r];
      float sum = 0.0;
      for (uint i = lane; i < k; i += SG) sum += Floats(xr).v[i] + (NORM_HAS_RESIDUAL ? Floats(rr).v[i] : 0.0);
      mean[r] = subgroupAdd(sum) / float(k);
      float sq = 0.0;
      for (uint i = lane; i < k; i += SG) {
        const float c = Floats(xr).v[i] + (NORM_HAS_RESIDUAL ? Floats(rr).v[i] : 0.0) - mean[r];
        sq += c * c;
      }
      rstd[r] = 1.0 / sqrt(subgroupAdd(sq) / float(k) + norm_eps);
      if (NORM_WRITES_OUT && gl_WorkGroupID.y == 0 && row0 + r < m) {
        const uint64_t outr = norm_out_address + x_row[r];
        for (uint i = lane; i < k; i += SG) {
          const float v = Floats(xr).v[i] + (NORM_HAS_RESIDUAL ? Floats(rr).v[i] : 0.0);
          Floats(outr).v[i] = (v - mean[r]) * rstd[r] * Floats(gamma_address).v[i] + Floats(beta_address).v[i];
        }
      }
    }
  }
  // The lane's x value of row r at the current k (normalised with IN_NORM by that k's gamma g and beta b).
#define X_VALUE(r, g, b) (IN_NORM ? ((Floats(xp + x_row[r]).v[0] + (NORM_HAS_RESIDUAL ? Floats(rp + x_row[r]).v[0] : 0.0) \
                                          - mean[r]) * rstd[r] * (g) + (b)) \
                                       : Floats(xp + x_row[r]).v[0])
  uint64_t rp = norm_residual_address + uint64_t(lane & 7u) * 4u;
  uint64_t gp = gamma_address + uint64_t(lane & 7u) * 4u, bp = beta_address + uint64_t(lane & 7u) * 4u;

  vec4 acc[RB][P];
  [[unroll]] for (uint r = 0; r < RB; ++r)
    [[unroll]] for (uint q = 0; q < P; ++q) acc[r][q] = vec4(0.0);

#ifdef LOAD_W2  // one load for steps j and j + 1
#define STEP2(j) [[unroll]] for (uint q = 0; q < P; ++q) { LOAD_W2(q, j) \
  [[unroll]] for (uint r = 0; r < RB; ++r) { acc[r][q] += subgroupBroadcast(a[r], j) * w0; \
                                             acc[r][q] += subgroupBroadcast(a[r], j + 1) * w1; } }
#else
#define STEP(j) [[unroll]] for (uint q = 0; q < P; ++q) { LOAD_W(q, j) \
  [[unroll]] for (uint r = 0; r < RB; ++r) acc[r][q] += subgroupBroadcast(a[r], j) * w; }
#define STEP2(j) STEP(j) STEP(j + 1)
#endif
#define BLOCK STEP2(0) STEP2(2) STEP2(4) STEP2(6)

  const uint k_full = k & ~7u;
  for (uint k0 = 0; k0 < k_full; k0 += 8u) {
    float a[RB];
    const float g = IN_NORM ? Floats(gp).v[0] : 1.0, b = IN_NORM ? Floats(bp).v[0] : 0.0;
    [[unroll]] for (uint r = 0; r < RB; ++r) a[r] = X_VALUE(r, g, b);
    BLOCK
    ADVANCE_W
    xp += 32u;
    rp += 32u;
    gp += 32u;
    bp += 32u;
  }
  if (k_full < k) {  // K tail: the streams are zero padded to kp, x is masked
    float a[RB];
    const bool inside = k_full + (lane & 7u) < k;
    [[unroll]] for (uint r = 0; r < RB; ++r) {
      a[r] = 0.0;
      if (inside) {
        const float g = IN_NORM ? Floats(gp).v[0] : 1.0, b = IN_NORM ? Floats(bp).v[0] : 0.0;
        a[r] = X_VALUE(r, g, b);
      }
    }
    BLOCK
  }

  Floats Y = Floats(y_address);
  Floats B = Floats(bias_address);
  Floats R = Floats(residual_address);
  [[unroll]] for (uint q = 0; q < P; ++q) {
    const uint col0 = (panel0 + q) * PW + 4u * lane;
    [[unroll]] for (uint r = 0; r < RB; ++r) {
      const uint row = row0 + r;
      if (row >= m) break;
      [[unroll]] for (uint c = 0; c < 4u; ++c) {
        const uint col = col0 + c;
        if (col < n) {
          float v = acc[r][q][c];
          if (HAS_BIAS) v += B.v[col];
          v = activate(v, ACT);
          if (HAS_RESIDUAL) v += R.v[row * residual_stride + col];
          Y.v[row * y_stride + col] = v;
        }
      }
    }
  }
}
