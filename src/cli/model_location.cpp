#include "cli/model_location.h"

#include <cstdlib>
#include <vector>

#include "cli/env_options.h"
#include "model/hf_cache.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultModel = VKCAP_DEFAULT_MODEL_NAME;

bool is_model_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "config.json", ec);
}

// The environment variable names the model directory itself. When it is set it is the only
// place looked at: a typo there should be an error, not a silent fall back to another copy.
fs::path default_model_from_environment(const char* dir) {
  if (!is_model_dir(dir))
    throw Error(std::string("VKCAP_DEFAULT_MODEL=") + dir +
                ": not a model directory (no config.json there); point it at a model directory "
                "such as share/vkcap/models/" + kDefaultModel + ", or pass --model");
  return fs::weakly_canonical(dir);
}

// Only places relative to the running binary: the installed layout first, then the copy the
// build puts next to the binary. Never a path into the source tree, which may be gone or moved.
fs::path bundled_default_model() {
  if (const char* dir = std::getenv("VKCAP_DEFAULT_MODEL"); dir && *dir) return default_model_from_environment(dir);
  const fs::path exe = executable_dir();
  std::vector<fs::path> searched;
  if (!exe.empty()) {
    for (const fs::path& models : {exe / VKCAP_MODELS_FROM_INSTALLED_BIN, exe / VKCAP_MODELS_FROM_BUILD_BIN}) {
      const fs::path candidate = (models / kDefaultModel).lexically_normal();
      if (is_model_dir(candidate)) return fs::weakly_canonical(candidate);
      searched.push_back(candidate);
    }
  }
  std::string places;
  for (const fs::path& p : searched) places += (places.empty() ? "" : ", ") + p.string();
  if (places.empty()) places = "nothing (the binary's own location is unknown: /proc/self/exe is unreadable)";
  throw Error(std::string("the bundled default model '") + kDefaultModel + "' was not found; searched " + places +
              "; pass --model DIR or set VKCAP_DEFAULT_MODEL to the model's directory");
}

}  // namespace

fs::path executable_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

fs::path locate_model(const std::string& spec, bool* used_default) {
  if (used_default) *used_default = spec.empty();
  return spec.empty() ? bundled_default_model() : model::resolve_model(spec, hf_hub_cache_from_environment());
}

}  // namespace vkcap::cli
