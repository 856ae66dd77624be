#pragma once
// The kernel checks `vkcap selftest` runs on a device: every kernel family, on every variant
// the device could be given (Gpu- and Cpu-shaped kernels, fp32 and fp16 weights, each weight
// fetch path), drawn from the same case lists the test suite asserts (tests/kernels).
#include <functional>
#include <string>
#include <vector>

#include "checks/check_result.h"

namespace vkcap::checks {

struct CheckGroup {
  std::string family;
  std::string variant;     // as in CheckResult::variant
  bool device_default = false;  // the variant vkcap uses on this device unless told otherwise
  std::string avoided_by;  // the setting that keeps vkcap off this variant ("" = none does)
  std::function<std::vector<CheckResult>(const CheckRun&)> run;
};

// quick: a sample of each family's cases (the default for --device all); otherwise the test
// suite's full case lists.
std::vector<CheckGroup> kernel_checks(const vk::DeviceInfo& info, bool quick);

}  // namespace vkcap::checks
