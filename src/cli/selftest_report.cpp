#include "cli/selftest_report.h"

#include <cstdio>
#include <map>
#include <set>

namespace vkcap::cli {

namespace {

std::string kernel_family(const vk::DeviceInfo& d) {
  return d.preferred_variant() == vk::KernelVariant::Cpu ? "cpu-shaped" : "gpu-shaped";
}

std::string weight_fetch(const vk::DeviceInfo& d) {
  if (d.preferred_variant() != vk::KernelVariant::Cpu) return "n/a (gpu-shaped kernels)";
  return std::string(d.texel_weights ? "texels" : "addresses") + " (" + d.weight_fetch_reason + ")";
}

// "sg 8", "sg 8 req" (a required size), "sg -" (the check uses no subgroup operations).
std::string subgroup_column(const checks::CheckResult& r) {
  if (!r.subgroup_size) return "sg -";
  return "sg " + std::to_string(r.subgroup_size) + (r.subgroup_size_required ? " req" : "");
}

nlohmann::json subgroup_size_json(const checks::CheckResult& r) {
  return r.subgroup_size ? nlohmann::json(r.subgroup_size) : nlohmann::json(nullptr);
}

}  // namespace

void SelftestReport::device(const DeviceReport& r) {
  const vk::DeviceInfo& d = *r.info;
  nlohmann::json j{{"index", d.index},
                   {"name", d.name},
                   {"type", d.type_name()},
                   {"driver", d.driver_name},
                   {"driver_info", d.driver_info},
                   {"driver_version", d.driver_version_string()},
                   {"vulkan", d.api_version_string()},
                   {"kernels", kernel_family(d)},
                   {"weight_fetch", weight_fetch(d)},
                   {"subgroup_size", r.subgroup_sizes},
                   {"fp16_arithmetic", d.float16_arithmetic},
                   {"storage_16bit", d.storage_16bit},
                   {"goldens", r.goldens}};
  if (!r.vector_width.empty()) j["vector_width"] = r.vector_width;
  devices_.push_back(j);
  if (json_) return;
  std::printf("device %u: %s (%s)\n", d.index, d.name.c_str(), d.type_name());
  std::printf("  driver %s %s (version %s), Vulkan %s\n", d.driver_name.c_str(), d.driver_info.c_str(),
              d.driver_version_string().c_str(), d.api_version_string().c_str());
  std::printf("  probe: kernels %s, weights read as %s\n", kernel_family(d).c_str(), weight_fetch(d).c_str());
  std::printf("  subgroup size %s\n", r.subgroup_sizes.c_str());
  if (!r.vector_width.empty()) std::printf("  vector width %s\n", r.vector_width.c_str());
  std::printf("  goldens: %s\n", r.goldens.c_str());
  std::fflush(stdout);
}

void SelftestReport::check(const SelftestRecord& record) {
  records_.push_back(record);
  if (json_) return;
  const checks::CheckResult& r = record.result;
  char errors[64] = "exact";
  if (r.measured) std::snprintf(errors, sizeof errors, "abs %-9.2g rel %-9.2g", r.max_abs, r.max_rel);
  std::printf("%s %-17s %-19s %-10s %-28s %5.2fs  %s\n", r.pass ? "PASS" : "FAIL", r.family.c_str(),
              r.variant.empty() ? "-" : r.variant.c_str(), subgroup_column(r).c_str(), errors, r.seconds,
              r.shape.c_str());
  if (!r.pass) std::printf("     %s\n", r.failure_text().c_str());
  std::fflush(stdout);
}

int SelftestReport::finish(double seconds) {
  size_t failed = 0;
  // Each failing variant once, with the setting that avoids it.
  std::map<std::string, std::string> advice;
  for (const SelftestRecord& rec : records_) {
    if (rec.result.pass) continue;
    ++failed;
    const std::string what = "device " + std::to_string(rec.device) + ": " + rec.result.family +
                             (rec.result.variant.empty() ? "" : " [" + rec.result.variant + "]") +
                             (rec.result.subgroup_size
                                  ? " at subgroup size " + std::to_string(rec.result.subgroup_size)
                                  : "") +
                             (rec.device_default ? " (used by default)" : "");
    advice[what] = rec.avoided_by.empty() ? "no setting avoids it; please report it (vkcap selftest --json)"
                                          : "avoid it with " + rec.avoided_by;
  }
  const int exit_code = failed ? 1 : 0;
  if (json_) {
    nlohmann::json checks = nlohmann::json::array();
    for (const SelftestRecord& rec : records_) {
      const checks::CheckResult& r = rec.result;
      nlohmann::json j{{"device", rec.device}, {"family", r.family},    {"variant", r.variant},
                       {"shape", r.shape},     {"pass", r.pass},        {"max_abs", r.max_abs},
                       {"max_rel", r.max_rel}, {"exact", !r.measured}, {"seconds", r.seconds},  {"device_default", rec.device_default},
                       {"subgroup_size", subgroup_size_json(r)},
                       {"subgroup_size_required", r.subgroup_size_required}};
      if (!r.pass) {
        j["failure"] = r.failure_text();
        j["avoided_by"] = rec.avoided_by;
      }
      checks.push_back(j);
    }
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& [what, how] : advice) failures.push_back({{"check", what}, {"advice", how}});
    nlohmann::json doc{{"devices", devices_},
                       {"checks", checks},
                       {"summary",
                        {{"checks", records_.size()},
                         {"failed", failed},
                         {"seconds", seconds},
                         {"failures", failures},
                         {"exit_code", exit_code}}}};
    std::printf("%s\n", doc.dump(1).c_str());
    return exit_code;
  }
  std::printf("%zu checks, %zu failed, %.1f s\n", records_.size(), failed, seconds);
  for (const auto& [what, how] : advice) std::printf("FAILED %s: %s\n", what.c_str(), how.c_str());
  return exit_code;
}

}  // namespace vkcap::cli
