#include "cli/sidecar.h"

#include <fstream>
#include <sstream>

#include "cli/platform.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

ExistingSidecar parse_existing(const std::string& name) {
  if (name == "skip") return ExistingSidecar::Skip;
  if (name == "overwrite") return ExistingSidecar::Overwrite;
  if (name == "append") return ExistingSidecar::Append;
  if (name == "prepend") return ExistingSidecar::Prepend;
  throw Error("--existing '" + name + "': expected skip, overwrite, append or prepend");
}

fs::path sidecar_path(const fs::path& image, const std::string& extension) {
  fs::path p = image;
  const std::string ext = extension.empty() ? "txt" : extension;
  return p.replace_extension(ext.front() == '.' ? ext : "." + ext);
}

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string sidecar_content(ExistingSidecar mode, const std::string& existing, const std::string& caption) {
  const std::string old = trimmed(existing);
  if (old.empty() || mode == ExistingSidecar::Overwrite || mode == ExistingSidecar::Skip) return caption + "\n";
  if (mode == ExistingSidecar::Append) return old + ", " + caption + "\n";
  return caption + ", " + old + "\n";
}

void write_sidecar(const fs::path& path, ExistingSidecar mode, const std::string& caption) {
  std::string existing;
  if (mode == ExistingSidecar::Append || mode == ExistingSidecar::Prepend) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      existing = text.str();
    }
  }
  replace_file_atomically(path, sidecar_content(mode, existing, caption));
}

}  // namespace vkcap::cli
