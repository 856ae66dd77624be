#version 450
// y[i] = a[i] + b[i] for i < count (grid-stride loop; y may alias a or b).
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer A { float a[]; };
layout(std430, set = 0, binding = 1) buffer B { float b[]; };
layout(std430, set = 0, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint a_offset, b_offset, y_offset, count;
};

void main() {
  uint stride = gl_NumWorkGroups.x * WG;
  for (uint i = gl_GlobalInvocationID.x; i < count; i += stride)
    y[y_offset + i] = a[a_offset + i] + b[b_offset + i];
}
