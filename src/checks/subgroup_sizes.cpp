#include "checks/subgroup_sizes.h"

#include <algorithm>

#include "vk/subgroup_size_control.h"

namespace vkcap::checks {

namespace {

std::string joined(const std::vector<uint32_t>& sizes) {
  std::string text;
  for (uint32_t s : sizes) text += (text.empty() ? "" : ", ") + std::to_string(s);
  return text;
}

}  // namespace

SubgroupSizePlan subgroup_size_plan(const vk::DeviceInfo& info) {
  return {info.subgroup_size, vk::requestable_subgroup_sizes(info)};
}

std::string SubgroupSizePlan::describe() const {
  const std::string text = std::to_string(default_size);
  if (required.empty()) return text + " (the device's only size; it cannot be asked for one)";
  if (required.size() == 1)
    return text + " (the device's default; checked as a required size: " + joined(required) + ")";
  return text + " (the device's default; checked at each required size: " + joined(required) + ")";
}

std::string subgroup_size_advice(const std::vector<uint32_t>& passed, uint32_t default_size,
                                 const std::string& variant_advice) {
  const std::string otherwise = variant_advice.empty() ? "" : " or " + variant_advice;
  if (std::find(passed.begin(), passed.end(), default_size) != passed.end())
    return "VKCAP_SUBGROUP_SIZE unset (the default size " + std::to_string(default_size) + " passed)" + otherwise;
  if (!passed.empty()) return "VKCAP_SUBGROUP_SIZE=" + std::to_string(passed.back()) + otherwise;
  return variant_advice;
}

}  // namespace vkcap::checks
