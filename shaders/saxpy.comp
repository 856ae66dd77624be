#version 450
// y[i] = a * x[i] + y[i] for i < n.
// The smallest kernel that exercises the whole path: descriptors, push constants,
// specialization constants (the workgroup size), and a read-after-write chain.
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint n;
  float a;
};

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
