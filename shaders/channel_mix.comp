#version 450
// Channel attention, part 2: every token's values mixed by its group's channel attention
// (channel_scores.comp made A):
//   out[n, g·Dg + i] = Σ_j A_g[i, j] · v[n, g·Dg + j]          (v = columns 2C.. of the qkv rows)
// One workgroup per token: the token's v row is staged in shared memory, then invocation t
// computes channels t, t + WG, …; A (C·Dg floats, stored [Dg, C] by channel_scores.comp so that
// neighbouring channels read neighbouring floats) is read by every workgroup and stays cached.
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint CHANNELS = 64;  // C: the shared v row
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Qkv { float qkv[]; };
layout(std430, set = 0, binding = 1) readonly buffer Attn { float attn[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float outs[]; };

layout(push_constant) uniform Params {
  uint qkv_offset, qkv_stride, attn_offset, out_offset;
  uint out_stride, tokens, group_dim;
};

shared float v_row[CHANNELS];

void main() {
  const uint n = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (n >= tokens) return;
  const uint t = gl_LocalInvocationID.x;
  const uint v_base = qkv_offset + n * qkv_stride + 2 * CHANNELS;
  for (uint c = t; c < CHANNELS; c += WG) v_row[c] = qkv[v_base + c];
  barrier();
  for (uint c = t; c < CHANNELS; c += WG) {
    const uint group_start = c - c % group_dim;
    float acc = 0.0;
    for (uint j = 0; j < group_dim; ++j) acc += attn[attn_offset + j * CHANNELS + c] * v_row[group_start + j];
    outs[out_offset + n * out_stride + c] = acc;
  }
}
