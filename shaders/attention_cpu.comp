#version 450
// Fused scaled dot-product attention, CPU-shaped (lavapipe): buffer-device-address loads,
// one subgroup per block of R query rows of one (kv batch, head), no shared memory. The rows of
// a kv batch are the (beam, query) pairs of the kv_div batch entries that share its K/V, so
// beams decoding one image (lq = 1) read the image's K/V once, not once per beam.
//
//   s_ij = scale · (q_i · k_j), then masked: Add → s_ij + masked_value, Replace → masked_value
//   O_i  = Σ_j softmax_j(s_ij) · v_j          (optionally P_ij = softmax_j(s_ij) written too)
//
// Online softmax (flash attention): keys are visited in blocks of SG (one key per lane);
// per row a running max m, a per-lane partial sum l and the output accumulator acc are kept,
// and when the max grows from m to m' everything so far is rescaled by exp(m − m'). The score
// matrix is never stored. Keys j ≥ lk are excluded (p = 0); masked keys are *not* skipped,
// they take part with their masked score exactly as in torch.
//
// Loop sketch (per subgroup, rows i0..i0+R-1):
//   q held lane-distributed: lane owns dims c·2SG + 2·lane + {0,1} (pairs: one 64-bit gather)
//   for each key block j0 (lane ↔ key j0+lane):
//     QKᵀ: for each dim pair e: lane loads k[j][e], k[j][e+1]; q[i][e] comes from the owning
//          lane by subgroupBroadcast with a literal lane (one register permute on llvmpipe;
//          the lane loops are unrolled by macros because the lane must be a constant)       → s[r] per lane
//     softmax update: m' = max(m, subgroupMax(s)), α = exp(m − m'), p = exp(s − m'),
//          l = α·l + p, acc ·= α
//   PV:  for each key kk of the block: p broadcast from lane kk, lane loads its dim pairs of
//          v[j0+kk] and accumulates acc[r] += p·v
//   end: O = acc / subgroupAdd(l); optional second pass recomputes s and writes exp(s − m)/L.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_control_flow_attributes : require

// Subgroup size, fixed at compile time (variants for 4, 16 and 32 in variants.cmake).
#ifndef SG
#define SG 8
#endif
#if SG == 4
#define EACH_LANE(F) F(0) F(1) F(2) F(3)
#elif SG == 8
#define EACH_LANE(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7)
#elif SG == 16
#define EACH_LANE(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
#elif SG == 32
#define EACH_LANE(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15) \
  F(16) F(17) F(18) F(19) F(20) F(21) F(22) F(23) F(24) F(25) F(26) F(27) F(28) F(29) F(30) F(31)
#else
#error "SG must be 4, 8, 16 or 32"
#endif

layout(local_size_x = SG) in;                   // one subgroup per workgroup
layout(constant_id = 0) const uint D = 64;      // head dim
layout(constant_id = 1) const uint R = 2;       // query rows per subgroup
layout(constant_id = 2) const bool PAIRS = true;  // Q/K/V rows 8-byte aligned: 64-bit loads

const uint NC = (D + 2 * SG - 1) / (2 * SG);    // dim chunks: lane owns dims c·2SG + 2·lane + {0,1}
// Whether every lane's dims exist: then no per-lane range check (which llvmpipe would turn into
// masked code with the loaded values kept in memory).
const bool FULL_CHUNKS = D % (2 * SG) == 0;
#define IN_HEAD(e) (FULL_CHUNKS || (e) < D)

layout(buffer_reference, std430, buffer_reference_align = 4) readonly buffer Floats { float v[]; };
layout(buffer_reference, std430, buffer_reference_align = 8) readonly buffer Pairs { uint64_t v[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) writeonly buffer OutFloats { float v[]; };

layout(push_constant) uniform Params {
  uint64_t q_addr, k_addr, v_addr, o_addr, valid_addr, probs_addr;  // element 0 of each operand
  uint q_row, k_row, v_row, o_row;          // row strides (floats)
  uint q_batch, k_batch, v_batch, o_batch;  // batch strides (floats)
  uint lq, lk, heads, kv_div;
  float scale, masked_value;
  uint mask_kind;     // 0 none, 1 causal, 2 key padding
  uint replace;       // 0: add masked_value, 1: replace the score with it
  int causal_offset;
  uint write_probs;
  uint batch;
};

#define NEG_INF uintBitsToFloat(0xff800000u)

// Two consecutive floats at element `at` of a row; the second is 0 past the head dim.
vec2 load2(uint64_t base, uint at, bool second_in_range) {
  second_in_range = second_in_range || FULL_CHUNKS;
  if (PAIRS) {
    uint64_t bits = Pairs(base).v[at >> 1];
    return vec2(uintBitsToFloat(uint(bits)), uintBitsToFloat(uint(bits >> 32)));
  }
  float a = Floats(base).v[at];
  float b = second_in_range ? Floats(base).v[at + 1] : 0.0;
  return vec2(a, b);
}

// The masked score as torch computes it: Add → fp32 score + masked_value, Replace → masked_value.
float mask_score(float x, uint i, uint j, uint kb) {
  bool masked = false;
  if (mask_kind == 1u) masked = int(j) > causal_offset + int(i);
  if (mask_kind == 2u) masked = Floats(valid_addr).v[kb * lk + j] == 0.0;
  return masked ? (replace != 0u ? masked_value : x + masked_value) : x;
}

// s[r] = q[row r] · k[this lane's key], k row at k_row_base. For each dim chunk the q values
// are loaded lane-distributed and handed to every lane by broadcasts.
#define QK_STEP(kk)                                                                   \
  if (c * 2 * SG + 2 * kk < D) {                                                      \
    const uint e = c * 2 * SG + 2 * kk;                                               \
    const vec2 kv = load2(k_row_base, e, e + 1 < D);                                  \
    [[unroll]] for (uint r = 0; r < R; ++r) {                                         \
      s[r] += subgroupBroadcast(qc[r].x, kk) * kv.x;                                  \
      s[r] += subgroupBroadcast(qc[r].y, kk) * kv.y;                                  \
    }                                                                                 \
  }
#define SCORES()                                                                      \
  [[unroll]] for (uint r = 0; r < R; ++r) s[r] = 0.0;                                 \
  [[unroll]] for (uint c = 0; c < NC; ++c) {                                          \
    vec2 qc[R];                                                                       \
    const uint eq = c * 2 * SG + 2 * lane;                                            \
    [[unroll]] for (uint r = 0; r < R; ++r)                                           \
      qc[r] = IN_HEAD(eq) ? load2(q_rows[r], eq, eq + 1 < D) : vec2(0.0);                  \
    EACH_LANE(QK_STEP)                                                                \
  }

// acc[r] += p[r] of key j0+kk (broadcast from lane kk) · v[j0+kk] (this lane's dims).
#define PV_STEP(kk)                                                                   \
  {                                                                                   \
    const uint jj = min(j0 + kk, lk - 1);                                             \
    const uint64_t v_row_base = v_base + 4ul * (uint64_t(jj) * v_row);                \
    vec2 vv[NC];                                                                      \
    [[unroll]] for (uint c = 0; c < NC; ++c) {                                        \
      const uint e = c * 2 * SG + 2 * lane;                                           \
      vv[c] = IN_HEAD(e) ? load2(v_row_base, e, e + 1 < D) : vec2(0.0);                    \
    }                                                                                 \
    [[unroll]] for (uint r = 0; r < R; ++r) {                                         \
      const float pk = subgroupBroadcast(p[r], kk);                                   \
      [[unroll]] for (uint c = 0; c < NC; ++c) acc[r][c] += pk * vv[c];               \
    }                                                                                 \
  }

void main() {
  const uint lane = gl_SubgroupInvocationID;
  const uint h = gl_WorkGroupID.y;
  const uint kb = gl_WorkGroupID.z;
  // Rows t = beam·lq + i of this kv batch; rows past the last repeat it (computed, never stored).
  const uint t0 = gl_WorkGroupID.x * R;
  const uint last_t = min(kv_div, batch - kb * kv_div) * lq - 1;
  const uint64_t k_base = k_addr + 4ul * (uint64_t(kb) * k_batch + h * D);
  const uint64_t v_base = v_addr + 4ul * (uint64_t(kb) * v_batch + h * D);
  uint qi[R], qb[R];  // query position and batch entry of each row
  uint64_t q_rows[R];
  [[unroll]] for (uint r = 0; r < R; ++r) {
    const uint t = min(t0 + r, last_t);
    qb[r] = kb * kv_div + t / lq;
    qi[r] = t % lq;
    q_rows[r] = q_addr + 4ul * (uint64_t(qb[r]) * q_batch + uint64_t(qi[r]) * q_row + h * D);
  }

  float m[R], l[R];
  vec2 acc[R][NC];
  [[unroll]] for (uint r = 0; r < R; ++r) {
    m[r] = NEG_INF;
    l[r] = 0.0;
    [[unroll]] for (uint c = 0; c < NC; ++c) acc[r][c] = vec2(0.0);
  }

  for (uint j0 = 0; j0 < lk; j0 += SG) {
    const uint j = min(j0 + lane, lk - 1);
    const uint64_t k_row_base = k_base + 4ul * (uint64_t(j) * k_row);
    float s[R];
    SCORES()
    float p[R];
    [[unroll]] for (uint r = 0; r < R; ++r) {
      const float x = j0 + lane < lk ? mask_score(s[r] * scale, qi[r], j, kb) : NEG_INF;
      const float m_new = max(m[r], subgroupMax(x));
      const float alpha = exp(m[r] - m_new);
      p[r] = exp(x - m_new);
      l[r] = l[r] * alpha + p[r];
      m[r] = m_new;
      [[unroll]] for (uint c = 0; c < NC; ++c) acc[r][c] *= alpha;
    }
    EACH_LANE(PV_STEP)
  }

  [[unroll]] for (uint r = 0; r < R; ++r) {
    const float total = subgroupAdd(l[r]);
    l[r] = total;
    if (t0 + r <= last_t) {
      const uint64_t o_base = o_addr + 4ul * (uint64_t(qb[r]) * o_batch + uint64_t(qi[r]) * o_row + h * D);
      [[unroll]] for (uint c = 0; c < NC; ++c) {
        const uint e = c * 2 * SG + 2 * lane;
        if (IN_HEAD(e)) OutFloats(o_base).v[e] = acc[r][c].x / total;
        if (IN_HEAD(e + 1)) OutFloats(o_base).v[e + 1] = acc[r][c].y / total;
      }
    }
  }

  if (write_probs == 0u) return;
  // Second pass: the exact normalised probabilities exp(s − m) / L with the final m and L.
  for (uint j0 = 0; j0 < lk; j0 += SG) {
    const uint j = min(j0 + lane, lk - 1);
    const uint64_t k_row_base = k_base + 4ul * (uint64_t(j) * k_row);
    float s[R];
    SCORES()
    [[unroll]] for (uint r = 0; r < R; ++r) {
      const float x = mask_score(s[r] * scale, qi[r], j, kb);
      if (t0 + r <= last_t && j0 + lane < lk) {
        const uint64_t at = ((uint64_t(qb[r]) * heads + h) * lq + qi[r]) * uint64_t(lk) + j;
        OutFloats(probs_addr + 4ul * at).v[0] = exp(x - m[r]) / l[r];
      }
    }
  }
}
