#pragma once
// What a physical device can do, read once by probe(): the single place where vkcap looks at
// device properties, and where driver-specific choices (kernel variants) are made.
#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vkcap::vk {

struct MemoryHeapInfo {
  uint64_t size = 0;
  bool device_local = false;
};

// Which family of kernels suits the device. Both compute the same results (both are tested on
// every machine); they differ in how they move data (docs/lavapipe.md, docs/design.md).
enum class KernelVariant {
  Gpu,  // shared-memory tiles, coalesced loads through descriptors
  Cpu,  // buffer-device-address loads, panel-packed weights, subgroup broadcasts (lavapipe)
};

struct DeviceInfo {
  uint32_t index = 0;
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  std::string driver_name;  // e.g. "llvmpipe"
  std::string driver_info;  // e.g. "Mesa 25.0.7 (LLVM 15.0.6)"
  uint32_t api_version = 0;
  uint32_t driver_version = 0;
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  std::array<uint8_t, VK_UUID_SIZE> pipeline_cache_uuid{};

  // Limits.
  uint64_t max_storage_buffer_range = 0;
  uint64_t max_texel_buffer_elements = 0;
  // Whether the device reads RGBA32F and RGBA32UI uniform texel buffers (the texel weight path).
  bool texel_formats = false;
  // Whether the Cpu variant's linear kernels read weights through uniform texel buffers rather
  // than buffer_reference loads: the choice of kWeightFetchRules (device_info.cpp) for this
  // driver and subgroup size where texel_formats allows it, unless ContextOptions::weight_fetch
  // says otherwise (vk/context.cpp). weight_fetch_reason says which rule or setting decided. Why it
  // matters: docs/lavapipe-vector-width.md, docs/performance.md.
  bool texel_weights = false;
  std::string weight_fetch_reason;
  uint64_t max_memory_allocation_size = 0;
  uint64_t min_storage_buffer_offset_alignment = 0;
  uint32_t max_shared_memory = 0;
  uint32_t max_workgroup_invocations = 0;
  std::array<uint32_t, 3> max_workgroup_size{};
  std::array<uint32_t, 3> max_workgroup_count{};
  uint32_t max_push_constants = 0;

  // Subgroups.
  uint32_t subgroup_size = 0;
  VkSubgroupFeatureFlags subgroup_operations = 0;
  VkShaderStageFlags subgroup_stages = 0;
  // Subgroup size control (VK_EXT_subgroup_size_control; vkcap's Vulkan 1.2 instance asks for it
  // through the extension, which Vulkan 1.3 drivers keep listing): whether a compute pipeline
  // can require a size, the range it may ask for, and whether it can also require full
  // subgroups. Unused unless ContextOptions::subgroup_size asks for a size.
  bool subgroup_size_control = false;   // extension and feature present, compute among the stages
  bool compute_full_subgroups = false;
  uint32_t min_subgroup_size = 0, max_subgroup_size = 0;
  VkShaderStageFlags required_subgroup_size_stages = 0;
  // The size every subgroup-using pipeline requires (ContextOptions::subgroup_size, set by the
  // Context, which then also sets subgroup_size to it); 0 = the driver's default.
  uint32_t required_subgroup_size = 0;

  // Features vkcap can use.
  bool storage_16bit = false;
  bool float16_arithmetic = false;
  bool int64 = false;
  bool buffer_device_address = false;
  bool push_descriptors = false;
  bool timestamps = false;
  float timestamp_period_ns = 1.0f;
  uint32_t compute_queue_family = UINT32_MAX;

  // Memory.
  std::vector<MemoryHeapInfo> heaps;
  bool device_local_host_visible = false;  // unified memory: map device buffers directly

  uint64_t device_local_bytes() const;
  const char* type_name() const;
  std::string api_version_string() const;
  std::string driver_version_string() const;
  bool is_cpu() const { return type == VK_PHYSICAL_DEVICE_TYPE_CPU; }
  bool has_subgroup_ops(VkSubgroupFeatureFlags ops) const {
    return (subgroup_operations & ops) == ops && (subgroup_stages & VK_SHADER_STAGE_COMPUTE_BIT);
  }
  // The kernel family chosen for this device (see KernelVariant), unless overridden.
  KernelVariant preferred_variant() const;
  // Set by the Context from ContextOptions::kernels.
  std::optional<KernelVariant> forced_variant;
  // Whether the Cpu variant can run here at all (it needs these features).
  bool supports_cpu_variant() const;
};

DeviceInfo probe(VkPhysicalDevice device, uint32_t index);

}  // namespace vkcap::vk
