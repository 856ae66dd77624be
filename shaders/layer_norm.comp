#version 450
// y[r, i] = (v[i] − mean) / sqrt(var + eps) · gamma[i] + beta[i],  v = x[r, :] (+ residual[r, :])
// mean = Σv / d, var = Σ(v − mean)² / d (biased, like torch.nn.LayerNorm), all in fp32.
// One workgroup per row. Pass 1: each invocation sums a strided slice of v, a shared-memory
// tree gives the mean. Pass 2: the same for (v − mean)² (two-pass: no cancellation for
// rows with a large mean). Pass 3: every invocation normalises the elements it read, so y may
// alias x or residual (same row layout) — each element is read and written by one invocation,
// and the reductions' barriers separate every read of the row from every write.
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer R { float residual[]; };
layout(std430, set = 0, binding = 2) readonly buffer G { float gamma[]; };
layout(std430, set = 0, binding = 3) readonly buffer B { float beta[]; };
layout(std430, set = 0, binding = 4) buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, x_stride, residual_offset, residual_stride;
  uint gamma_offset, beta_offset, y_offset, y_stride;
  uint rows, d, has_residual;
  float eps;
};

shared float partial[WG];

float reduce_sum(float v) {
  uint t = gl_LocalInvocationID.x;
  partial[t] = v;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) partial[t] += partial[t + s];
    barrier();
  }
  float total = partial[0];
  barrier();  // partial[] is reused by the next reduction
  return total;
}

float value(uint row, uint i) {
  float v = x[x_offset + row * x_stride + i];
  if (has_residual != 0) v += residual[residual_offset + row * residual_stride + i];
  return v;
}

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (row >= rows) return;  // uniform per workgroup
  uint t = gl_LocalInvocationID.x;

  float sum = 0.0;
  for (uint i = t; i < d; i += WG) sum += value(row, i);
  float mean = reduce_sum(sum) / float(d);

  float sq = 0.0;
  for (uint i = t; i < d; i += WG) {
    float c = value(row, i) - mean;
    sq += c * c;
  }
  float var = reduce_sum(sq) / float(d);
  float rstd = 1.0 / sqrt(var + eps);

  for (uint i = t; i < d; i += WG) {
    float c = value(row, i) - mean;
    y[y_offset + row * y_stride + i] = c * rstd * gamma[gamma_offset + i] + beta[beta_offset + i];
  }
}
