#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] = GELU(x[i]) for i < count: erf form (torch exact GELU) or tanh form (HF gelu_new),
// both from gelu.glsl. Grid-stride loop so any count fits the workgroup-count limit; y may
// alias x.
#include "gelu.glsl"
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, y_offset, count, tanh_form;
};

void main() {
  uint stride = gl_NumWorkGroups.x * WG;
  for (uint i = gl_GlobalInvocationID.x; i < count; i += stride) {
    float v = x[x_offset + i];
    y[y_offset + i] = tanh_form != 0 ? vkcap_gelu_tanh(v) : vkcap_gelu_erf(v);
  }
}
