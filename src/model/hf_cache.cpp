#include "model/hf_cache.h"

#include <cctype>
#include <fstream>
#include <optional>

#include "util/error.h"

namespace vkcap::model {

namespace fs = std::filesystem;

namespace {

// ORG/NAME as the hub spells ids: letters, digits, '-', '_', '.', one slash; no "..".
bool is_model_id(const std::string& spec) {
  const auto slash = spec.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spec.size() ||
      spec.find('/', slash + 1) != std::string::npos || spec.find("..") != std::string::npos)
    return false;
  for (char c : spec)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  return true;
}

bool is_snapshot(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::exists(dir / "config.json", ec);
}

std::optional<fs::path> find_snapshot(const fs::path& repo) {
  std::error_code ec;
  // The revision "main" resolved to when it was downloaded.
  if (std::ifstream ref{repo / "refs" / "main"}) {
    std::string rev;
    std::getline(ref, rev);
    while (!rev.empty() && std::isspace(static_cast<unsigned char>(rev.back()))) rev.pop_back();
    if (!rev.empty() && rev.find('/') == std::string::npos && rev != "." && rev != ".." &&
        is_snapshot(repo / "snapshots" / rev))
      return repo / "snapshots" / rev;
  }
  std::optional<fs::path> newest;
  fs::file_time_type newest_time{};
  for (const auto& entry : fs::directory_iterator(repo / "snapshots", ec)) {
    if (!is_snapshot(entry.path())) continue;
    auto t = fs::last_write_time(entry.path(), ec);
    if (!newest || t > newest_time) {
      newest = entry.path();
      newest_time = t;
    }
  }
  return newest;
}

}  // namespace

fs::path resolve_model(const std::string& spec, const fs::path& hub_cache) {
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return spec;
  if (fs::exists(spec, ec)) throw Error(spec + ": not a directory (expected a model directory or ORG/NAME)");
  if (!is_model_id(spec))
    throw Error(spec + ": no such model directory (give a directory, or a Hugging Face model id ORG/NAME)");

  if (hub_cache.empty())
    throw Error("model '" + spec + "' is not a directory, and no Hugging Face cache directory was given to look it up in" +
                " (CaptionerOptions::hf_hub_cache); pass the model's directory");
  const auto slash = spec.find('/');
  const fs::path repo = hub_cache / ("models--" + spec.substr(0, slash) + "--" + spec.substr(slash + 1));
  if (auto snapshot = find_snapshot(repo)) return *snapshot;
  throw Error("model '" + spec + "' is neither a directory nor in the Hugging Face cache (" + hub_cache.string() +
              "); get it with `huggingface-cli download " + spec + "` or `git clone https://huggingface.co/" + spec +
              "` (then pass the cloned directory)");
}

}  // namespace vkcap::model
