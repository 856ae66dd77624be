#include "cli/profile_table.h"

#include <algorithm>
#include <vector>

namespace vkcap::cli {

void print_profile(const vk::Profile& profile, std::FILE* out) {
  std::vector<std::pair<std::string, vk::KernelTime>> rows(profile.begin(), profile.end());
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second.total_ms > b.second.total_ms; });
  double total = 0;
  for (auto& r : rows) total += r.second.total_ms;
  std::fprintf(out, "%-28s %8s %12s %7s\n", "kernel", "calls", "total ms", "share");
  for (auto& [name, t] : rows)
    std::fprintf(out, "%-28s %8llu %12.2f %6.1f%%\n", name.c_str(), (unsigned long long)t.calls, t.total_ms,
                 total > 0 ? 100.0 * t.total_ms / total : 0.0);
  std::fprintf(out, "%-28s %8s %12.2f\n", "total", "", total);
}

}  // namespace vkcap::cli
