#version 450
// out[r] = argmax_i x[r, i]: the first index of the maximum. NaN-safe by a total order:
// numbers (−inf included) rank above NaN, equal values rank by lower index. So a NaN is never
// chosen unless the whole row is NaN (then index 0). (torch.argmax would return a NaN's index.)
// One workgroup per row: each invocation scans the strided slice i = t, t + WG, ... keeping
// its best (value, index); a shared-memory tree reduces the WG candidates.
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { int out_index[]; };

layout(push_constant) uniform Params {
  uint x_offset, rows, n, out_offset;
};

shared float best_value[WG];
shared int best_index[WG];

// Whether (av, ai) ranks before (bv, bi); index −1 marks "no candidate".
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

  float bv = 0.0;
  int bi = -1;
  for (uint i = t; i < n; i += WG) {
    float v = x[base + i];
    if (better(v, int(i), bv, bi)) { bv = v; bi = int(i); }
  }
  best_value[t] = bv;
  best_index[t] = bi;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s && better(best_value[t + s], best_index[t + s], best_value[t], best_index[t])) {
      best_value[t] = best_value[t + s];
      best_index[t] = best_index[t + s];
    }
    barrier();
  }
  if (t == 0) out_index[out_offset + row] = max(best_index[0], 0);
}
