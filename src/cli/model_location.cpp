#include "cli/model_location.h"

#include <unistd.h>

#include <cstdlib>

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

fs::path hub_cache() {
  if (const char* v = std::getenv("HF_HUB_CACHE"); v && *v) return v;
  if (const char* v = std::getenv("HF_HOME"); v && *v) return fs::path(v) / "hub";
  if (const char* v = std::getenv("HOME"); v && *v) return fs::path(v) / ".cache" / "huggingface" / "hub";
  return {};
}

// models--ORG--NAME/snapshots/<rev>: the revision refs/main names, else the newest snapshot.
fs::path find_in_hub_cache(const std::string& id) {
  fs::path root = hub_cache();
  if (root.empty()) return {};
  std::string folder = "models--" + id;
  for (size_t p = 0; (p = folder.find('/', p)) != std::string::npos;) folder.replace(p, 1, "--");
  fs::path repo = root / folder;
  std::error_code ec;
  if (!fs::is_directory(repo / "snapshots", ec)) return {};
  if (std::FILE* f = std::fopen((repo / "refs" / "main").c_str(), "r")) {
    char rev[128] = {0};
    size_t n = std::fread(rev, 1, sizeof rev - 1, f);
    std::fclose(f);
    std::string r(rev, n);
    while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
    if (!r.empty() && r.find('/') == std::string::npos && fs::is_directory(repo / "snapshots" / r, ec))
      return repo / "snapshots" / r;
  }
  fs::path newest;
  fs::file_time_type newest_time{};
  for (const auto& entry : fs::directory_iterator(repo / "snapshots", ec)) {
    if (!entry.is_directory()) continue;
    auto t = entry.last_write_time(ec);
    if (newest.empty() || t > newest_time) newest = entry.path(), newest_time = t;
  }
  return newest;
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
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return spec;
  if (spec.find('/') != std::string::npos && !fs::exists(spec, ec)) {
    fs::path cached = find_in_hub_cache(spec);
    if (!cached.empty()) return cached;
    throw Error("model '" + spec + "' is neither a directory nor in the Hugging Face cache (" + hub_cache().string() +
                "); vkcap never downloads: get it with `git clone https://huggingface.co/" + spec +
                "` (needs git-lfs) or `huggingface-cli download " + spec + "`, then pass --model DIR");
  }
  throw Error("model directory '" + spec + "' does not exist");
}

}  // namespace vkcap::cli
