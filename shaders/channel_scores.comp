#version 450
#extension GL_GOOGLE_include_directive : require
// Channel attention, part 1 (DaViT's ChannelAttention): per channel group g of Dg = C / groups
// channels, the Dg×Dg attention over channels instead of tokens:
//   A_g[i, j] = softmax_j( scale · Σ_n q[n, g·Dg + i] · k[n, g·Dg + j] )      (scale = N^-1/2)
// q, k, v are the thirds of the qkv rows [N, 3C] (q at column 0, k at C, v at 2C).
// One workgroup per ROWS consecutive attention rows (g, i0 .. i0 + ROWS − 1) of one group:
// invocation t sums the products for columns j = t, t + WG, … over all N tokens, for all ROWS
// rows at once, so each k load serves ROWS multiply-adds (the q values are the same for the whole
// workgroup). Two interleaved partial sums per row shorten the rounding chains. Then each row's
// softmax runs through shared memory. A is written transposed, attn[j·C + g·Dg + i] = A_g[i, j]
// ([Dg, C]), so that channel_mix.comp's neighbouring invocations (channels) read neighbouring
// floats.
#include "gelu.glsl"
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint MAX_GROUP_DIM = 256;
const uint ROWS = 4;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Qkv { float qkv[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Attn { float attn[]; };

layout(push_constant) uniform Params {
  uint qkv_offset, qkv_stride, attn_offset, tokens;
  uint channels, group_dim;
  float scale;
};

shared float scores[ROWS * MAX_GROUP_DIM];
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
  const uint blocks_per_group = (group_dim + ROWS - 1) / ROWS;
  const uint block = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  const uint groups = channels / group_dim;
  if (block >= groups * blocks_per_group) return;
  const uint group_start = (block / blocks_per_group) * group_dim;
  const uint first = (block % blocks_per_group) * ROWS;  // row index inside the group
  const uint t = gl_LocalInvocationID.x;
  // Rows past the group's end (its last block) repeat the last row and are not written.
  uint q_col[ROWS];
  for (uint r = 0; r < ROWS; ++r) q_col[r] = qkv_offset + group_start + min(first + r, group_dim - 1);
  for (uint j = t; j < group_dim; j += WG) {
    const uint k_col = qkv_offset + channels + group_start + j;
    float even[ROWS], odd[ROWS];
    for (uint r = 0; r < ROWS; ++r) even[r] = odd[r] = 0.0;
    uint n = 0;
    for (; n + 2 <= tokens; n += 2) {
      const uint b = n * qkv_stride;
      const float k0 = qkv[k_col + b], k1 = qkv[k_col + b + qkv_stride];
      for (uint r = 0; r < ROWS; ++r) {
        even[r] += qkv[q_col[r] + b] * k0;
        odd[r] += qkv[q_col[r] + b + qkv_stride] * k1;
      }
    }
    if (n < tokens) {
      const uint b = n * qkv_stride;
      const float k0 = qkv[k_col + b];
      for (uint r = 0; r < ROWS; ++r) even[r] += qkv[q_col[r] + b] * k0;
    }
    for (uint r = 0; r < ROWS; ++r) scores[r * MAX_GROUP_DIM + j] = scale * (even[r] + odd[r]);
  }
  barrier();
  for (uint r = 0; r < ROWS && first + r < group_dim; ++r) {
    const uint row = r * MAX_GROUP_DIM;
    float m = -1.0 / 0.0;
    for (uint j = t; j < group_dim; j += WG) m = max(m, scores[row + j]);
    m = reduce(m, true);
    float sum = 0.0;
    for (uint j = t; j < group_dim; j += WG) sum += vkcap_exp(scores[row + j] - m);
    sum = reduce(sum, false);
    const uint column = attn_offset + group_start + first + r;  // column (g, i) of the [Dg, C] layout
    for (uint j = t; j < group_dim; j += WG) attn[column + j * channels] = vkcap_exp(scores[row + j] - m) / sum;
  }
}
