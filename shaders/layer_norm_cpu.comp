#version 450
// Layer norm for CPU Vulkan drivers (lavapipe); same math and aliasing rules as layer_norm.comp:
//   y[r, i] = (v[i] − mean) / sqrt(var + eps) · gamma[i] + beta[i],  v = x[r, :] (+ residual[r, :])
// mean and the biased var are two-pass fp32 sums, like torch.nn.LayerNorm.
//
// One workgroup = one subgroup per row; lanes stride over the row and the two sums are
// subgroupAdd reductions. layer_norm.comp's shared-memory tree needs a barrier per level, which
// llvmpipe runs as a switch between the workgroup's invocations, and reads its operands through
// descriptors, which llvmpipe turns into per-lane loops (docs/lavapipe.md); here every
// operand is a buffer_reference pointer and there is no barrier. PAIRS: every row starts on an
// 8-byte boundary and d is even, so a lane reads two neighbours with one 64-bit load.
// y may alias x or residual: each element is read and written by the same invocation, and the
// writes come after the last read of the row by that invocation.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(constant_id = 0) const uint SG = 8;           // subgroup size = workgroup size
layout(constant_id = 1) const bool PAIRS = false;
layout(local_size_x_id = 0) in;

layout(buffer_reference, std430, buffer_reference_align = 4) buffer Floats { float v[]; };
layout(buffer_reference, std430, buffer_reference_align = 8) buffer Pairs { vec2 v[]; };

layout(push_constant) uniform Params {
  uint64_t x_address, residual_address, gamma_address, beta_address, y_address;
  uint x_stride, residual_stride, y_stride;
  uint rows, d, has_residual;
  float eps;
};

// Elements handled per step by one lane: two with PAIRS, else one.
const uint STEP = PAIRS ? 2u : 1u;

vec2 load(uint64_t row, uint i) {
  if (PAIRS) return Pairs(row).v[i >> 1];
  return vec2(Floats(row).v[i], 0.0);
}

vec2 value(uint64_t x_row, uint64_t r_row, uint i) {
  vec2 v = load(x_row, i);
  if (has_residual != 0u) v += load(r_row, i);
  return v;
}

void main() {
  const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= rows) return;  // uniform per workgroup
  const uint lane = gl_SubgroupInvocationID;
  const uint64_t x_row = x_address + 4ul * (uint64_t(row) * x_stride);
  const uint64_t r_row = residual_address + 4ul * (uint64_t(row) * residual_stride);
  const uint64_t y_row = y_address + 4ul * (uint64_t(row) * y_stride);

  vec2 sum = vec2(0.0);
  for (uint i = lane * STEP; i < d; i += SG * STEP) sum += value(x_row, r_row, i);
  const float mean = subgroupAdd(sum.x + sum.y) / float(d);

  // Without PAIRS the second component is 0 everywhere, so it must not enter the square sum.
  vec2 sq = vec2(0.0);
  for (uint i = lane * STEP; i < d; i += SG * STEP) {
    const vec2 c = value(x_row, r_row, i) - mean;
    sq += c * c;
  }
  const float var = subgroupAdd(sq.x + (PAIRS ? sq.y : 0.0)) / float(d);
  const float rstd = 1.0 / sqrt(var + eps);

  for (uint i = lane * STEP; i < d; i += SG * STEP) {
    const vec2 c = (value(x_row, r_row, i) - mean) * rstd;
    if (PAIRS) {
      Pairs(y_row).v[i >> 1] = c * Pairs(gamma_address).v[i >> 1] + Pairs(beta_address).v[i >> 1];
    } else {
      Floats(y_row).v[i] = c.x * Floats(gamma_address).v[i] + Floats(beta_address).v[i];
    }
  }
}
