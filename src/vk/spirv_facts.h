#pragma once
// What Context needs to know about a compute shader's SPIR-V before it builds a pipeline with a
// required subgroup size (ContextOptions::subgroup_size): whether the shader uses subgroup
// operations at all (only those pipelines get the required size; the others keep the
// driver's choice), and its workgroup width, which must be a multiple of the size for the
// pipeline to ask for full subgroups.
#include <cstdint>
#include <optional>
#include <span>

namespace vkcap::vk {

struct ShaderFacts {
  bool uses_subgroups = false;  // declares the GroupNonUniform capability (GL_KHR_shader_subgroup_*)
  uint32_t local_size_x = 0;    // the literal or default workgroup width
  std::optional<uint32_t> local_size_x_spec_id;  // set: the width is this specialization constant

  // The workgroup width once `specialization` (values for constant_id 0, 1, ...) is applied.
  uint32_t workgroup_x(std::span<const uint32_t> specialization) const;
};

// Reads the capabilities, the LocalSize execution mode and a WorkgroupSize built-in (which
// glslang emits for layout(local_size_x_id = N)). Malformed words give the facts found so far.
ShaderFacts shader_facts(std::span<const uint32_t> words);

}  // namespace vkcap::vk
