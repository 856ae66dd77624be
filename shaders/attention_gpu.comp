#version 450
// Fused scaled dot-product attention, GPU-shaped: descriptor-bound buffers, K/V tiles staged
// in shared memory with coalesced loads, one invocation per query row.
//
//   s_ij = scale · (q_i · k_j), then masked: Add → s_ij + masked_value, Replace → masked_value
//   O_i  = Σ_j softmax_j(s_ij) · v_j          (optionally P_ij = softmax_j(s_ij) written too)
//
// Online softmax (flash attention): per row a running max m, sum l and accumulator acc; when a
// tile raises the max from m to m', l and acc are rescaled by exp(m − m'). The score matrix is
// never stored. Masked keys take part with their masked score (as in torch); keys ≥ lk don't.
//
// Loop sketch (workgroup = WG query rows of one (batch, head)):
//   for each tile of BK keys: all invocations copy K/V tile → shared (coalesced), barrier;
//     each invocation: scores of its row against the tile, tile max, rescale, acc += p·v; barrier
//   O = acc / l; optional second pass over the tiles writes exp(s − m) / l.
#extension GL_EXT_control_flow_attributes : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;   // query rows per workgroup
layout(constant_id = 1) const uint D = 64;    // head dim (≤ 128)
layout(constant_id = 2) const uint BK = 16;   // keys per shared-memory tile

layout(std430, set = 0, binding = 0) readonly buffer Q { float q_buf[]; };
layout(std430, set = 0, binding = 1) readonly buffer K { float k_buf[]; };
layout(std430, set = 0, binding = 2) readonly buffer V { float v_buf[]; };
layout(std430, set = 0, binding = 3) writeonly buffer O { float o_buf[]; };
layout(std430, set = 0, binding = 4) readonly buffer Valid { float valid_buf[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Probs { float probs_buf[]; };

layout(push_constant) uniform Params {
  uint q_off, k_off, v_off, o_off, valid_off, probs_off;  // element offsets of element 0
  uint q_row, k_row, v_row, o_row;          // row strides (floats)
  uint q_batch, k_batch, v_batch, o_batch;  // batch strides (floats)
  uint lq, lk, heads, kv_div;
  float scale, masked_value;
  uint mask_kind;     // 0 none, 1 causal, 2 key padding
  uint replace;       // 0: add masked_value, 1: replace the score with it
  int causal_offset;
  uint write_probs;
};

shared float k_tile[BK * D];
shared float v_tile[BK * D];

#define NEG_INF uintBitsToFloat(0xff800000u)

float q[D];

void load_tile(uint j0, uint k_base, uint v_base) {
  barrier();
  for (uint t = gl_LocalInvocationID.x; t < BK * D; t += WG) {
    const uint jj = t / D, e = t % D;
    const uint j = min(j0 + jj, lk - 1);
    k_tile[t] = k_buf[k_base + j * k_row + e];
    v_tile[t] = v_buf[v_base + j * v_row + e];
  }
  barrier();
}

float masked_score(uint i, uint j, uint kb, uint jj) {
  float dot = 0.0;
  for (uint e = 0; e < D; ++e) dot += q[e] * k_tile[jj * D + e];
  float x = dot * scale;
  bool masked = false;
  if (mask_kind == 1u) masked = int(j) > causal_offset + int(i);
  if (mask_kind == 2u) masked = valid_buf[valid_off + kb * lk + j] == 0.0;
  if (masked) x = replace != 0u ? masked_value : x + masked_value;
  return j < lk ? x : NEG_INF;
}

void main() {
  const uint i = gl_WorkGroupID.x * WG + gl_LocalInvocationID.x;
  const uint h = gl_WorkGroupID.y;
  const uint b = gl_WorkGroupID.z;
  const uint kb = b / kv_div;
  const uint ic = min(i, lq - 1);
  const uint q_base = q_off + b * q_batch + ic * q_row + h * D;
  const uint k_base = k_off + kb * k_batch + h * D;
  const uint v_base = v_off + kb * v_batch + h * D;

  float acc[D];
  for (uint e = 0; e < D; ++e) {
    q[e] = q_buf[q_base + e];
    acc[e] = 0.0;
  }
  float m = NEG_INF, l = 0.0;
  float s[BK];
  for (uint j0 = 0; j0 < lk; j0 += BK) {
    load_tile(j0, k_base, v_base);
    float tile_max = NEG_INF;
    for (uint jj = 0; jj < BK; ++jj) {
      s[jj] = masked_score(ic, j0 + jj, kb, jj);
      tile_max = max(tile_max, s[jj]);
    }
    const float m_new = max(m, tile_max);
    const float alpha = exp(m - m_new);
    l *= alpha;
    for (uint e = 0; e < D; ++e) acc[e] *= alpha;
    for (uint jj = 0; jj < BK; ++jj) {
      const float p = exp(s[jj] - m_new);
      l += p;
      for (uint e = 0; e < D; ++e) acc[e] += p * v_tile[jj * D + e];
    }
    m = m_new;
  }
  if (i < lq) {
    const uint o_base = o_off + b * o_batch + i * o_row + h * D;
    for (uint e = 0; e < D; ++e) o_buf[o_base + e] = acc[e] / l;
  }

  if (write_probs == 0u) return;
  // Second pass: the exact normalised probabilities exp(s − m) / l with the final m and l.
  for (uint j0 = 0; j0 < lk; j0 += BK) {
    load_tile(j0, k_base, v_base);
    for (uint jj = 0; jj < BK; ++jj) {
      const uint j = j0 + jj;
      const float x = masked_score(ic, j, kb, jj);
      if (i < lq && j < lk) probs_buf[probs_off + ((b * heads + h) * lq + i) * lk + j] = exp(x - m) / l;
    }
  }
}
