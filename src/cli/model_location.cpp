#include "cli/model_location.h"

#include <unistd.h>

#include <cstdlib>

#include "model/hf_cache.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultModel = "vkcap-shapes";

fs::path executable_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

}  // namespace

fs::path locate_model(const std::string& spec, bool* used_default) {
  if (used_default) *used_default = spec.empty();
  if (spec.empty()) {
    for (const fs::path& base : {executable_dir() / ".." / "assets" / "models", executable_dir() / "assets" / "models",
                                 executable_dir() / ".." / "share" / "vkcap" / "models",
                                 fs::path(VKCAP_SOURCE_DIR) / "assets" / "models"}) {
      std::error_code ec;
      if (fs::is_regular_file(base / kDefaultModel / "config.json", ec)) return fs::weakly_canonical(base / kDefaultModel);
    }
    throw Error(std::string("the bundled default model '") + kDefaultModel +
                "' was not found (expected in assets/models/); pass --model DIR");
  }
  return resolve_model(spec);
}

}  // namespace vkcap::cli
