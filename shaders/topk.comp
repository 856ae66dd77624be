#version 450
// Per row: the k largest values of x[r, :] in descending order with their indices
// (k ≤ 64). Order: larger value first, equal values by lower index; NaN ranks below every
// number (−inf included), so NaNs only appear when fewer than k numbers exist (torch.topk
// would put NaNs first).
// One workgroup per row. Phase 1: invocation t scans i = t, t + WG, ... and keeps its own
// sorted top-k list (insertion into a private array; most elements fail the first compare).
// Phase 2: k rounds; in each, every invocation offers the head of its list, a shared-memory
// tree picks the best, its owner (index mod WG) pops it and invocation 0 writes it out.
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;
const uint MAX_K = 64;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Values { float values[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Indices { int indices[]; };

layout(push_constant) uniform Params {
  uint x_offset, rows, n, k, values_offset, indices_offset;
};

shared float cand_value[WG];
shared int cand_index[WG];

bool better(float av, int ai, float bv, int bi) {
  if (bi < 0) return ai >= 0;
  if (ai < 0) return false;
  bool a_nan = isnan(av), b_nan = isnan(bv);
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && av != bv) return av > bv;
  return ai < bi;
}

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= rows) return;
  uint t = gl_LocalInvocationID.x;
  uint base = x_offset + row * n;

  float list_value[MAX_K];
  int list_index[MAX_K];
  uint filled = 0;
  for (uint i = t; i < n; i += WG) {
    float v = x[base + i];
    int vi = int(i);
    if (filled == k && !better(v, vi, list_value[k - 1], list_index[k - 1])) continue;
    uint j = filled < k ? filled : k - 1;  // slot freed at the end, then shift down
    if (filled < k) ++filled;
    while (j > 0 && better(v, vi, list_value[j - 1], list_index[j - 1])) {
      list_value[j] = list_value[j - 1];
      list_index[j] = list_index[j - 1];
      --j;
    }
    list_value[j] = v;
    list_index[j] = vi;
  }

  uint head = 0;
  for (uint r = 0; r < k; ++r) {
    cand_value[t] = head < filled ? list_value[head] : 0.0;
    cand_index[t] = head < filled ? list_index[head] : -1;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
      if (t < s && better(cand_value[t + s], cand_index[t + s], cand_value[t], cand_index[t])) {
        cand_value[t] = cand_value[t + s];
        cand_index[t] = cand_index[t + s];
      }
      barrier();
    }
    int winner = cand_index[0];
    if (t == 0) {
      values[values_offset + row * k + r] = cand_value[0];
      indices[indices_offset + row * k + r] = winner;
    }
    if (winner >= 0 && uint(winner) % WG == t) ++head;
    barrier();  // cand_* is rewritten next round
  }
}
