#pragma once
// How `vkcap selftest` reports: one line per check as it finishes (text), or one JSON document
// with a record per check and a summary (--json, meant to be attached to a bug report).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/check_result.h"
#include "vk/device_info.h"

namespace vkcap::cli {

// A check result with where it ran and what a failure means for the user.
struct SelftestRecord {
  uint32_t device = 0;
  checks::CheckResult result;
  bool device_default = false;  // the variant vkcap uses on this device unless told otherwise
  std::string avoided_by;       // the setting that keeps vkcap off the variant ("" = none)
};

// What the device is and what the capability probe chose for it.
struct DeviceReport {
  const vk::DeviceInfo* info = nullptr;
  std::string subgroup_sizes;  // checks::SubgroupSizePlan::describe()
  std::string vector_width;    // llvmpipe only
  std::string goldens;         // where the goldens were found, or why they were not run
};

class SelftestReport {
 public:
  explicit SelftestReport(bool json) : json_(json) {}
  void device(const DeviceReport& report);
  void check(const SelftestRecord& record);
  // Prints the summary (and, with --json, the whole document); returns the exit code.
  int finish(double seconds);

 private:
  bool json_;
  nlohmann::json devices_ = nlohmann::json::array();
  std::vector<SelftestRecord> records_;
};

}  // namespace vkcap::cli
