#include "vk/kernel.h"

#include "util/error.h"
#include "vk/check.h"
#include "vk/shader_registry.h"

namespace vkcap::vk {

std::string KernelSpec::key() const {
  std::string key = shader + "/" + std::to_string(buffers) + "/" + std::to_string(push_bytes);
  for (uint32_t v : specialization) key.append("/").append(std::to_string(v));
  if (texel_buffers) key.append("/t").append(std::to_string(texel_buffers));
  if (required_subgroup_size) key.append("/sg").append(std::to_string(required_subgroup_size));
  if (full_subgroups) key.append("/full");
  return key;
}

Kernel::Kernel(VkDevice device, VkPipelineCache cache, const KernelSpec& spec)
    : device_(device), spec_(spec) {
  std::span<const uint32_t> words = shaders::find(spec.shader);
  if (words.empty()) throw Error("no compiled shader named '" + spec.shader + "' is built into vkcap");

  VkShaderModuleCreateInfo module{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module.codeSize = words.size() * sizeof(uint32_t);
  module.pCode = words.data();
  check(vkCreateShaderModule(device_, &module, nullptr, &module_), "vkCreateShaderModule(" + spec.shader + ")");

  std::vector<VkDescriptorSetLayoutBinding> bindings(spec.buffers + spec.texel_buffers);
  for (uint32_t b = 0; b < bindings.size(); ++b)
    bindings[b] = {b, b < spec.buffers ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER : VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
                   1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set.bindingCount = static_cast<uint32_t>(bindings.size());
  set.pBindings = bindings.data();
  check(vkCreateDescriptorSetLayout(device_, &set, nullptr, &set_layout_), "vkCreateDescriptorSetLayout");

  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, spec.push_bytes};
  VkPipelineLayoutCreateInfo layout{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout.setLayoutCount = 1;
  layout.pSetLayouts = &set_layout_;
  layout.pushConstantRangeCount = spec.push_bytes ? 1 : 0;
  layout.pPushConstantRanges = &push;
  check(vkCreatePipelineLayout(device_, &layout, nullptr, &layout_), "vkCreatePipelineLayout");

  std::vector<VkSpecializationMapEntry> entries(spec.specialization.size());
  for (uint32_t i = 0; i < entries.size(); ++i) entries[i] = {i, i * 4u, 4u};
  VkSpecializationInfo specialization{static_cast<uint32_t>(entries.size()), entries.data(),
                                      spec.specialization.size() * 4, spec.specialization.data()};
  VkComputePipelineCreateInfo pipeline{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  pipeline.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  pipeline.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pipeline.stage.module = module_;
  pipeline.stage.pName = "main";
  pipeline.stage.pSpecializationInfo = entries.empty() ? nullptr : &specialization;
  VkPipelineShaderStageRequiredSubgroupSizeCreateInfo required{
      VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO};
  required.requiredSubgroupSize = spec.required_subgroup_size;
  if (spec.required_subgroup_size) pipeline.stage.pNext = &required;
  if (spec.full_subgroups) pipeline.stage.flags |= VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT;
  pipeline.layout = layout_;
  check(vkCreateComputePipelines(device_, cache, 1, &pipeline, nullptr, &pipeline_),
        "vkCreateComputePipelines(" + spec.shader + ")");
}

Kernel::~Kernel() {
  vkDestroyPipeline(device_, pipeline_, nullptr);
  vkDestroyPipelineLayout(device_, layout_, nullptr);
  vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
  vkDestroyShaderModule(device_, module_, nullptr);
}

}  // namespace vkcap::vk
