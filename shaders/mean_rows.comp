#version 450
// Column means of a row-major matrix: y[c] = (Σ_r x[r, c]) / rows, e.g. Florence-2's average of
// the image tokens. One invocation per column (grid-stride); the sum is compensated (Kahan), so
// thousands of rows of large activations lose no more than one rounding.
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, x_stride, y_offset, rows, cols;
};

void main() {
  const uint step = gl_NumWorkGroups.x * WG;
  for (uint c = gl_GlobalInvocationID.x; c < cols; c += step) {
    precise float sum = 0.0, carry = 0.0;
    for (uint r = 0; r < rows; ++r) {
      precise float term = x[x_offset + r * x_stride + c] - carry;
      precise float next = sum + term;
      carry = (next - sum) - term;
      sum = next;
    }
    y[y_offset + c] = sum / float(rows);
  }
}
