#version 450
#extension GL_GOOGLE_include_directive : require
// Channel attention, part 1 (DaViT's ChannelAttention): per channel group g of Dg = C / groups
// channels, the Dg×Dg attention over channels instead of tokens:
//   A_g[i, j] = softmax_j( scale · Σ_n q[n, g·Dg + i] · k[n, g·Dg + j] )      (scale = N^-1/2)
// q, k, v are the thirds of the qkv rows [N, 3C] (q at column 0, k at C, v at 2C).
// One workgroup per attention row (g, i); invocation t sums the products for columns
// j = t, t + WG, … over all N tokens (four interleaved partial sums: shorter rounding chains
// and independent adds), then the row's softmax runs through shared memory. Reads of k are
// coalesced (neighbouring j), the q value is the same for the whole workgroup.
#include "gelu.glsl"
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint MAX_GROUP_DIM = 256;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Qkv { float qkv[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Attn { float attn[]; };

layout(push_constant) uniform Params {
  uint qkv_offset, qkv_stride, attn_offset, tokens;
  uint channels, group_dim;
  float scale;
};

shared float scores[MAX_GROUP_DIM];
shared float partial[WG];

float reduce(float v, bool take_max) {
  const uint t = gl_LocalInvocationID.x;
  partial[t] = v;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) partial[t] = take_max ? max(partial[t], partial[t + s]) : partial[t] + partial[t + s];
    barrier();
  }
  const float r = partial[0];
  barrier();
  return r;
}

void main() {
  const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;  // g·Dg + i
  if (row >= channels) return;
  const uint t = gl_LocalInvocationID.x;
  const uint group_start = row - row % group_dim;
  const uint q_col = qkv_offset + row;
  for (uint j = t; j < group_dim; j += WG) {
    const uint k_col = qkv_offset + channels + group_start + j;
    float s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    uint n = 0;
    for (; n + 4 <= tokens; n += 4) {
      const uint b = n * qkv_stride;
      s0 += qkv[q_col + b] * qkv[k_col + b];
      s1 += qkv[q_col + b + qkv_stride] * qkv[k_col + b + qkv_stride];
      s2 += qkv[q_col + b + 2 * qkv_stride] * qkv[k_col + b + 2 * qkv_stride];
      s3 += qkv[q_col + b + 3 * qkv_stride] * qkv[k_col + b + 3 * qkv_stride];
    }
    for (; n < tokens; ++n) s0 += qkv[q_col + n * qkv_stride] * qkv[k_col + n * qkv_stride];
    scores[j] = scale * ((s0 + s1) + (s2 + s3));
  }
  barrier();
  float m = -1.0 / 0.0;
  for (uint j = t; j < group_dim; j += WG) m = max(m, scores[j]);
  m = reduce(m, true);
  float sum = 0.0;
  for (uint j = t; j < group_dim; j += WG) sum += vkcap_exp(scores[j] - m);
  sum = reduce(sum, false);
  for (uint j = t; j < group_dim; j += WG) attn[attn_offset + row * group_dim + j] = vkcap_exp(scores[j] - m) / sum;
}
