#version 450
// y[r, :] = table[ids[r], :] + positions[pos[r], :]   (the position term only when has_positions)
// One workgroup per row, invocations stride over the d columns. An id outside [0, total_vocab)
// or a position outside [0, max_positions) makes the whole row zeros: no out-of-bounds read, and
// an all-zero row is easy to spot downstream.
// A table larger than one storage-buffer binding is walked in windows: the bound window holds
// rows [id_base, id_base + vocab); rows whose id lies in another window are left to that
// window's dispatch (the first window writes the zero rows).
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Table { float table[]; };
layout(std430, set = 0, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, set = 0, binding = 2) readonly buffer Positions { float positions[]; };
layout(std430, set = 0, binding = 3) readonly buffer PosIds { int pos_ids[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint table_offset, vocab, ids_offset;
  uint positions_offset, max_positions, pos_offset;
  uint y_offset, rows, d, has_positions;
  uint id_base, total_vocab;
};

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= rows) return;
  int id = ids[ids_offset + row];
  bool valid = id >= 0 && uint(id) < total_vocab;
  int pos = 0;
  if (has_positions != 0) {
    pos = pos_ids[pos_offset + row];
    valid = valid && pos >= 0 && uint(pos) < max_positions;
  }
  uint out_base = y_offset + row * d;
  if (!valid) {
    if (id_base == 0)
      for (uint i = gl_LocalInvocationID.x; i < d; i += WG) y[out_base + i] = 0.0;
    return;
  }
  if (uint(id) < id_base || uint(id) - id_base >= vocab) return;  // another window's row
  uint tb = table_offset + (uint(id) - id_base) * d;
  uint pb = positions_offset + uint(pos) * d;
  for (uint i = gl_LocalInvocationID.x; i < d; i += WG) {
    float v = table[tb + i];
    if (has_positions != 0) v += positions[pb + i];
    y[out_base + i] = v;
  }
}
