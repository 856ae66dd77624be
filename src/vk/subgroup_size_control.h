#pragma once
// Which subgroup sizes a compute pipeline can be asked to run at (VK_EXT_subgroup_size_control,
// core in Vulkan 1.3): the powers of two in [minSubgroupSize, maxSubgroupSize], when the device
// lists compute among requiredSubgroupSizeStages. vkcap's kernels run at the driver's default
// size unless ContextOptions::subgroup_size (VKCAP_SUBGROUP_SIZE) requires one; `vkcap selftest`
// checks the subgroup-dependent kernels at every size listed here.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "vk/device_info.h"

namespace vkcap::vk {

// Ascending; empty when compute is not among `stages` or the range is empty.
std::vector<uint32_t> requestable_subgroup_sizes(uint32_t min, uint32_t max, VkShaderStageFlags stages);
// Empty unless the device has the extension and its subgroupSizeControl feature.
std::vector<uint32_t> requestable_subgroup_sizes(const DeviceInfo& info);

// Throws Error, naming the sizes the device allows, when `size` cannot be required on it.
void check_requestable_subgroup_size(const DeviceInfo& info, uint32_t size);

}  // namespace vkcap::vk
