#pragma once
// The subgroup sizes `vkcap selftest` checks a device at: every size a compute pipeline can be
// asked for (vk/subgroup_size_control.h), or the driver's default when it cannot be asked; and
// what to tell the user when a check fails at one size only.
#include <cstdint>
#include <string>
#include <vector>

#include "vk/device_info.h"

namespace vkcap::checks {

struct SubgroupSizePlan {
  uint32_t default_size = 0;       // what pipelines get without asking
  std::vector<uint32_t> required;  // the sizes to require, ascending; empty: the device cannot be asked
  // "8 (the device's default; checked as a required size: 8)", "32 (the device's default;
  // checked at each required size: 8, 16, 32)", "32 (the device's only size; it cannot be asked
  // for one)".
  std::string describe() const;
};

SubgroupSizePlan subgroup_size_plan(const vk::DeviceInfo& info);

// The setting that keeps vkcap off a check variant that failed at some subgroup size, given the
// sizes the same variant passed at: the default size when it passed (vkcap runs there unless
// VKCAP_SUBGROUP_SIZE says otherwise), else the largest size that passed, each followed by
// `variant_advice` (the other kernel family, ...) as the alternative; only that when no size passed.
std::string subgroup_size_advice(const std::vector<uint32_t>& passed, uint32_t default_size,
                                 const std::string& variant_advice);

}  // namespace vkcap::checks
