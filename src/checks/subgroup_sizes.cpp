#include "checks/subgroup_sizes.h"

namespace vkcap::checks {

SubgroupSizes subgroup_sizes(vk::Context& ctx) {
  SubgroupSizes s;
  s.current = s.min = s.max = ctx.info().subgroup_size;
  const VkPhysicalDevice physical = ctx.instance().physical_devices().at(ctx.info().index);
  VkPhysicalDeviceProperties base{};
  vkGetPhysicalDeviceProperties(physical, &base);
  if (VK_API_VERSION_MINOR(base.apiVersion) < 3 && VK_API_VERSION_MAJOR(base.apiVersion) == 1) return s;
  VkPhysicalDeviceSubgroupSizeControlProperties control{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &control;
  vkGetPhysicalDeviceProperties2(physical, &props);
  if ((control.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT) && control.minSubgroupSize > 0) {
    s.controllable = true;
    s.min = control.minSubgroupSize;
    s.max = control.maxSubgroupSize;
  }
  return s;
}

std::string SubgroupSizes::describe() const {
  std::string text = std::to_string(current);
  if (min == max && min == current) return text + " (the device's only size)";
  return text + " (the device's default; it allows " + std::to_string(min) + ".." + std::to_string(max) +
         ", not yet tested here)";
}

}  // namespace vkcap::checks
