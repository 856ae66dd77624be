#include "vk/subgroup_size_control.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace vkcap::vk {

std::vector<uint32_t> requestable_subgroup_sizes(uint32_t min, uint32_t max, VkShaderStageFlags stages) {
  std::vector<uint32_t> sizes;
  if (!(stages & VK_SHADER_STAGE_COMPUTE_BIT)) return sizes;
  for (uint64_t size = 1; size <= max; size *= 2)
    if (size >= min) sizes.push_back(static_cast<uint32_t>(size));
  return sizes;
}

std::vector<uint32_t> requestable_subgroup_sizes(const DeviceInfo& info) {
  if (!info.subgroup_size_control) return {};
  return requestable_subgroup_sizes(info.min_subgroup_size, info.max_subgroup_size, info.required_subgroup_size_stages);
}

void check_requestable_subgroup_size(const DeviceInfo& info, uint32_t size) {
  const std::vector<uint32_t> sizes = requestable_subgroup_sizes(info);
  if (std::find(sizes.begin(), sizes.end(), size) != sizes.end()) return;
  if (sizes.empty())
    throw Error("subgroup size " + std::to_string(size) + ": device '" + info.name +
                "' cannot be asked for a subgroup size (no VK_EXT_subgroup_size_control for compute); it runs at " +
                std::to_string(info.subgroup_size));
  std::string allowed;
  for (uint32_t s : sizes) allowed += (allowed.empty() ? "" : ", ") + std::to_string(s);
  throw Error("subgroup size " + std::to_string(size) + ": device '" + info.name + "' allows " + allowed);
}

}  // namespace vkcap::vk
