#pragma once
// A compute pipeline built from an embedded SPIR-V module: its descriptor layout (N storage
// buffers at bindings 0..N-1, then T uniform texel buffers at bindings N..N+T-1), its
// push-constant block, its specialization constants and, when asked, a required subgroup size.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vkcap::vk {

struct KernelSpec {
  std::string shader;                  // name of shaders/<name>.comp (or a variant)
  uint32_t buffers = 0;                // storage buffers at set 0, bindings 0..buffers-1
  uint32_t push_bytes = 0;             // size of the push-constant block
  std::vector<uint32_t> specialization;  // values for constant_id 0, 1, 2, ...
  uint32_t texel_buffers = 0;          // uniform texel buffers after the storage buffers
  // Set by Context::kernel, never by the kernels: a subgroup size the pipeline requires
  // (VkPipelineShaderStageRequiredSubgroupSizeCreateInfo; 0 = the driver's default) and whether
  // every subgroup must be full (VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT).
  uint32_t required_subgroup_size = 0;
  bool full_subgroups = false;

  std::string key() const;
};

class Kernel {
 public:
  Kernel(VkDevice device, VkPipelineCache cache, const KernelSpec& spec);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const KernelSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.shader; }
  VkPipeline pipeline() const { return pipeline_; }
  VkPipelineLayout layout() const { return layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }

 private:
  VkDevice device_;
  KernelSpec spec_;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

}  // namespace vkcap::vk
