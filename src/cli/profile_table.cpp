#include "cli/profile_table.h"

#include <algorithm>
#include <vector>

namespace vkcap::cli {

vk::Profile profile_difference(const vk::Profile& later, const vk::Profile& earlier) {
  vk::Profile out;
  for (const auto& [name, t] : later) {
    vk::KernelTime d = t;
    if (auto it = earlier.find(name); it != earlier.end()) {
      d.calls -= it->second.calls;
      d.total_ms -= it->second.total_ms;
    }
    if (d.calls > 0) out[name] = d;
  }
  return out;
}

void add_profile(vk::Profile& into, const vk::Profile& more) {
  for (const auto& [name, t] : more) {
    into[name].calls += t.calls;
    into[name].total_ms += t.total_ms;
  }
}

void print_profile(const vk::Profile& profile, std::FILE* out) {
  std::vector<std::pair<std::string, vk::KernelTime>> rows(profile.begin(), profile.end());
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second.total_ms > b.second.total_ms; });
  double total = 0;
  for (auto& r : rows) total += r.second.total_ms;
  std::fprintf(out, "%-28s %8s %12s %10s %7s\n", "kernel", "calls", "total ms", "ms/call", "share");
  for (auto& [name, t] : rows)
    std::fprintf(out, "%-28s %8llu %12.2f %10.3f %6.1f%%\n", name.c_str(), (unsigned long long)t.calls, t.total_ms,
                 t.calls > 0 ? t.total_ms / double(t.calls) : 0.0, total > 0 ? 100.0 * t.total_ms / total : 0.0);
  std::fprintf(out, "%-28s %8s %12.2f\n", "total", "", total);
}

}  // namespace vkcap::cli
