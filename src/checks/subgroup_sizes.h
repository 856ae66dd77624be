#pragma once
// The subgroup sizes a device can be asked for (VK_EXT_subgroup_size_control, core in Vulkan
// 1.3): the selftest reports them beside the size its kernels ran at.
#include <cstdint>
#include <string>

#include "vk/context.h"

namespace vkcap::checks {

struct SubgroupSizes {
  uint32_t current = 0;             // what the pipelines get without asking
  bool controllable = false;        // a compute pipeline may require a size in [min, max]
  uint32_t min = 0, max = 0;
  std::string describe() const;     // "8 (the device's only size)", "32 (device allows 8..32)"
};

SubgroupSizes subgroup_sizes(vk::Context& ctx);

}  // namespace vkcap::checks
