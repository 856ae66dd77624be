#include "vk/spirv_facts.h"

#include <unordered_map>

namespace vkcap::vk {

namespace {

// SPIR-V opcodes, decorations and enumerants (the SPIR-V specification, section 3).
constexpr uint32_t kOpCapability = 17, kOpExecutionMode = 16, kOpDecorate = 71;
constexpr uint32_t kOpConstant = 43, kOpConstantComposite = 44, kOpSpecConstant = 50, kOpSpecConstantComposite = 51;
constexpr uint32_t kCapabilityGroupNonUniform = 61;
constexpr uint32_t kExecutionModeLocalSize = 17;
constexpr uint32_t kDecorationSpecId = 1, kDecorationBuiltIn = 11, kBuiltInWorkgroupSize = 25;
constexpr size_t kHeaderWords = 5;

}  // namespace

uint32_t ShaderFacts::workgroup_x(std::span<const uint32_t> specialization) const {
  if (local_size_x_spec_id && *local_size_x_spec_id < specialization.size())
    return specialization[*local_size_x_spec_id];
  return local_size_x;
}

ShaderFacts shader_facts(std::span<const uint32_t> words) {
  ShaderFacts facts;
  std::optional<uint32_t> workgroup_size_id;
  std::unordered_map<uint32_t, uint32_t> spec_ids, constants, first_constituents;
  for (size_t at = kHeaderWords; at < words.size();) {
    const uint32_t op = words[at] & 0xffffu, count = words[at] >> 16;
    if (count == 0 || at + count > words.size()) break;
    const uint32_t* w = &words[at];
    if (op == kOpCapability && count >= 2 && w[1] == kCapabilityGroupNonUniform) facts.uses_subgroups = true;
    if (op == kOpExecutionMode && count >= 4 && w[2] == kExecutionModeLocalSize) facts.local_size_x = w[3];
    if (op == kOpDecorate && count >= 4 && w[2] == kDecorationBuiltIn && w[3] == kBuiltInWorkgroupSize)
      workgroup_size_id = w[1];
    if (op == kOpDecorate && count >= 4 && w[2] == kDecorationSpecId) spec_ids[w[1]] = w[3];
    if ((op == kOpConstant || op == kOpSpecConstant) && count >= 4) constants[w[2]] = w[3];
    if ((op == kOpConstantComposite || op == kOpSpecConstantComposite) && count >= 4) first_constituents[w[2]] = w[3];
    at += count;
  }
  // A WorkgroupSize built-in overrides the LocalSize mode (SPIR-V 3.21, BuiltIn WorkgroupSize).
  if (workgroup_size_id && first_constituents.contains(*workgroup_size_id)) {
    const uint32_t x = first_constituents[*workgroup_size_id];
    if (constants.contains(x)) facts.local_size_x = constants[x];
    if (spec_ids.contains(x)) facts.local_size_x_spec_id = spec_ids[x];
  }
  return facts;
}

}  // namespace vkcap::vk
