#include "cli/selftest_goldens.h"

#include "cli/model_location.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

fs::path locate_selftest_goldens() {
  const fs::path exe = executable_dir();
  if (exe.empty()) return {};
  std::error_code ec;
  for (const char* relative : {VKCAP_SELFTEST_FROM_INSTALLED_BIN, VKCAP_SELFTEST_FROM_BUILD_BIN}) {
    const fs::path candidate = (exe / relative).lexically_normal();
    if (fs::is_directory(candidate, ec)) return candidate;
  }
  return {};
}

}  // namespace vkcap::cli
