#version 450
// What subgroups a pipeline was given: every invocation writes gl_SubgroupSize and how many
// invocations of its subgroup are active (subgroupAdd(1)). The selftest's subgroup_size check
// (src/checks/subgroup_checks.h) proves with it that a required subgroup size is honoured and
// that full subgroups are full.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer Out { uint values[]; };

void main() {
  const uint i = gl_GlobalInvocationID.x;
  values[2 * i] = gl_SubgroupSize;
  values[2 * i + 1] = subgroupAdd(1u);
}
