#version 450
// Fused scaled dot-product attention, CPU-shaped (lavapipe): buffer-device-address loads,
// one subgroup per block of R query rows of one (batch, head), no shared memory.
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
//          lane by subgroupShuffle (a register permute on llvmpipe)       → s[r] per lane
//     softmax update: m' = max(m, subgroupMax(s)), α = exp(m − m'), p = exp(s − m'),
//          l = α·l + p, acc ·= α
//   PV:  for each key kk of the block: p broadcast from lane kk, lane loads its dim pairs of
//          v[j0+kk] and accumulates acc[r] += p·v
//   end: O = acc / subgroupAdd(l); optional second pass recomputes s and writes exp(s − m)/L.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require

layout(local_size_x_id = 0) in;                 // = subgroup size: one subgroup per workgroup
layout(constant_id = 0) const uint SG = 8;
layout(constant_id = 1) const uint D = 64;      // head dim
layout(constant_id = 2) const uint R = 2;       // query rows per subgroup
layout(constant_id = 3) const bool PAIRS = true;  // K/V/Q rows 8-byte aligned: 64-bit loads

const uint NC = (D + 2 * SG - 1) / (2 * SG);    // dim chunks of 2·SG per lane pair layout

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
};

// Two consecutive floats at element index `at` of a row (e < D checked at compile time for the
// second one when D is odd; PAIRS implies D and all strides even).
vec2 load2(uint64_t base, uint at, bool second_in_range) {
  if (PAIRS) {
    uint64_t bits = Pairs(base).v[at >> 1];
    return vec2(uintBitsToFloat(uint(bits)), uintBitsToFloat(uint(bits >> 32)));
  }
  float a = Floats(base).v[at];
  float b = second_in_range ? Floats(base).v[at + 1] : 0.0;
  return vec2(a, b);
}

// q rows of this subgroup, lane-distributed in dim pairs.
vec2 qc[R][NC];

// s[r] = q[i0+r] · k[j] for this lane's key j (row at k_row_base).
void scores(uint64_t k_row_base, out float s[R]) {
  [[unroll]] for (uint r = 0; r < R; ++r) s[r] = 0.0;
  [[unroll]] for (uint c = 0; c < NC; ++c) {
    [[unroll]] for (uint kk = 0; kk < SG; ++kk) {
      const uint e = c * 2 * SG + 2 * kk;
      if (e < D) {
        const vec2 kv = load2(k_row_base, e, e + 1 < D);
        [[unroll]] for (uint r = 0; r < R; ++r) {
          s[r] += subgroupShuffle(qc[r][c].x, kk) * kv.x;
          s[r] += subgroupShuffle(qc[r][c].y, kk) * kv.y;
        }
      }
    }
  }
}

bool key_masked(uint i, uint j, uint kb) {
  if (mask_kind == 1u) return int(j) > causal_offset + int(i);
  if (mask_kind == 2u) return Floats(valid_addr).v[kb * lk + j] == 0.0;
  return false;
}

#define NEG_INF uintBitsToFloat(0xff800000u)

void main() {
  const uint lane = gl_SubgroupInvocationID;
  const uint i0 = gl_WorkGroupID.x * R;
  const uint h = gl_WorkGroupID.y;
  const uint b = gl_WorkGroupID.z;
  const uint kb = b / kv_div;
  const uint64_t q_base = q_addr + 4ul * (uint64_t(b) * q_batch + h * D);
  const uint64_t k_base = k_addr + 4ul * (uint64_t(kb) * k_batch + h * D);
  const uint64_t v_base = v_addr + 4ul * (uint64_t(kb) * v_batch + h * D);

  // Rows past lq repeat the last row (computed, never stored).
  [[unroll]] for (uint r = 0; r < R; ++r) {
    const uint i = min(i0 + r, lq - 1);
    [[unroll]] for (uint c = 0; c < NC; ++c) {
      const uint e = c * 2 * SG + 2 * lane;
      qc[r][c] = e < D ? load2(q_base + 4ul * (uint64_t(i) * q_row), e, e + 1 < D) : vec2(0.0);
    }
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
    scores(k_row_base, s);
    float p[R];
    [[unroll]] for (uint r = 0; r < R; ++r) {
      float x = s[r] * scale;
      if (key_masked(i0 + r, j, kb)) x = replace != 0u ? masked_value : x + masked_value;
      if (j0 + lane >= lk) x = NEG_INF;
      const float m_new = max(m[r], subgroupMax(x));
      const float alpha = exp(m[r] - m_new);
      p[r] = exp(x - m_new);
      l[r] = l[r] * alpha + p[r];
      m[r] = m_new;
      [[unroll]] for (uint c = 0; c < NC; ++c) acc[r][c] *= alpha;
    }
    [[unroll]] for (uint kk = 0; kk < SG; ++kk) {
      const uint jj = min(j0 + kk, lk - 1);
      const uint64_t v_row_base = v_base + 4ul * (uint64_t(jj) * v_row);
      vec2 vv[NC];
      [[unroll]] for (uint c = 0; c < NC; ++c) {
        const uint e = c * 2 * SG + 2 * lane;
        vv[c] = e < D ? load2(v_row_base, e, e + 1 < D) : vec2(0.0);
      }
      [[unroll]] for (uint r = 0; r < R; ++r) {
        const float pk = subgroupShuffle(p[r], kk);
        [[unroll]] for (uint c = 0; c < NC; ++c) acc[r][c] += pk * vv[c];
      }
    }
  }

  [[unroll]] for (uint r = 0; r < R; ++r) {
    const uint i = i0 + r;
    const float total = subgroupAdd(l[r]);
    l[r] = total;
    if (i < lq) {
      const uint64_t o_base = o_addr + 4ul * (uint64_t(b) * o_batch + uint64_t(i) * o_row + h * D);
      [[unroll]] for (uint c = 0; c < NC; ++c) {
        const uint e = c * 2 * SG + 2 * lane;
        if (e < D) OutFloats(o_base).v[e] = acc[r][c].x / total;
        if (e + 1 < D) OutFloats(o_base).v[e + 1] = acc[r][c].y / total;
      }
    }
  }

  if (write_probs == 0u) return;
  // Second pass: the exact normalised probabilities exp(s − m) / L with the final m and L.
  for (uint j0 = 0; j0 < lk; j0 += SG) {
    const uint j = min(j0 + lane, lk - 1);
    const uint64_t k_row_base = k_base + 4ul * (uint64_t(j) * k_row);
    float s[R];
    scores(k_row_base, s);
    [[unroll]] for (uint r = 0; r < R; ++r) {
      const uint i = i0 + r;
      float x = s[r] * scale;
      if (key_masked(i, j, kb)) x = replace != 0u ? masked_value : x + masked_value;
      if (i < lq && j0 + lane < lk) {
        const uint64_t at = ((uint64_t(b) * heads + h) * lq + i) * uint64_t(lk) + j;
        OutFloats(probs_addr + 4ul * at).v[0] = exp(x - m[r]) / l[r];
      }
    }
  }
}
