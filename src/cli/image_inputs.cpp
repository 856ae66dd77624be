#include "cli/image_inputs.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/notice.h"
#include "cli/platform.h"
#include "image/header_check.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

bool image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* image : {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif"})
    if (ext == image) return true;
  return false;
}

std::vector<std::string> read_list(const std::string& list) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (list != "-") {
    file.open(list);
    if (!file) throw Error("--input-list " + list + ": cannot open (" + std::strerror(errno) + ")");
    in = &file;
  }
  std::vector<std::string> names;
  for (std::string line; std::getline(*in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // lists written on Windows
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace

std::string canonical_image_path(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  if (ec) return path;
  const fs::path canonical = fs::weakly_canonical(absolute, ec);
  return (ec ? absolute.lexically_normal() : canonical).string();
}

FileKind sniff_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileKind::Unreadable;
  // Enough for every signature, and for the brand list of a HEIF/AVIF `ftyp` box.
  uint8_t b[256] = {0};
  in.read(reinterpret_cast<char*>(b), sizeof b);
  const auto n = in.gcount();
  if (n == 0) return in.bad() ? FileKind::Unreadable : FileKind::Empty;
  return image::sniff_image_format(std::span<const uint8_t>(b, size_t(n))) ? FileKind::Image : FileKind::NotImage;
}

namespace {

// The walk over the names given: files, directories and patterns, each image once.
class InputCollector {
 public:
  InputCollector(const InputOptions& options, std::FILE* notices) : options_(options), notices_(notices) {}

  void add_name(const std::string& name) {
    std::error_code ec;
    if (fs::is_directory(name, ec)) {
      add_directory(name);
    } else if (!fs::exists(fs::symlink_status(name, ec)) && has_glob_characters(name)) {
      // Quoted, or from a list: expand it as the shell would have.
      std::vector<std::string> matches = glob_paths(name);
      if (matches.empty()) add({name, name + ": no file matches this pattern"});
      for (const std::string& m : matches) {
        if (fs::is_directory(m, ec))
          add_directory(m);
        else
          add({m, ""});
      }
    } else {
      add({name, ""});  // named explicitly: decoding reports what is wrong with it
    }
  }

  CollectedInputs take() { return std::move(collected_); }

 private:
  void add(InputItem item) {
    if (seen_.insert(canonical_image_path(item.path)).second) collected_.items.push_back(std::move(item));
  }

  // Sidecars and hidden files: skipped without counting them as "not an image".
  bool quiet(const fs::path& p) const {
    const std::string name = p.filename().string();
    return name.empty() || name[0] == '.' ||
           std::find(options_.quiet_extensions.begin(), options_.quiet_extensions.end(), p.extension().string()) !=
               options_.quiet_extensions.end();
  }

  // The directory's files, sorted (all levels with -r); counts the subdirectories not searched.
  std::vector<fs::path> list_directory(const std::string& dir, size_t& subdirectories) const {
    std::vector<fs::path> entries;
    std::error_code ec;
    auto note_error = [&](const std::string& where) {
      if (ec) print_notice(notices_, "%s: %s", where.c_str(), ec.message().c_str()), ec.clear();
    };
    if (options_.recursive) {
      fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
      note_error(dir);
      for (; it != end; it.increment(ec)) {
        note_error(dir);
        if (it->path().filename().string().starts_with(".") && it->is_directory(ec)) it.disable_recursion_pending();
        if (!it->is_directory(ec)) entries.push_back(it->path());
      }
    } else {
      for (fs::directory_iterator it(dir, ec), end; it != end; it.increment(ec)) {
        if (!it->is_directory(ec))
          entries.push_back(it->path());
        else if (!it->path().filename().string().starts_with("."))
          ++subdirectories;  // hidden ones not counted
      }
      note_error(dir);
    }
    std::sort(entries.begin(), entries.end());
    return entries;
  }

  enum class Entry { Added, Ignored, NotImage };
  // Adds one directory entry by what its first bytes say (a file that is not an image is
  // reported by the caller, one that cannot be read becomes a failed record).
  Entry add_entry(const fs::path& p) {
    switch (sniff_file(p.string())) {
      case FileKind::Image:
        add({p.string(), ""});
        return Entry::Added;
      case FileKind::Unreadable:
        // A dangling symlink or a file without read permission: somebody meant it to be here.
        if (quiet(p)) return Entry::Ignored;
        add({p.string(), p.string() + ": cannot read (" + std::strerror(errno) + ")"});
        return Entry::Added;
      case FileKind::Empty:
        if (!image_extension(p)) break;
        add({p.string(), p.string() + ": empty file"});
        return Entry::Added;
      case FileKind::NotImage:
        break;
    }
    return quiet(p) ? Entry::Ignored : Entry::NotImage;
  }

  void add_directory(const std::string& dir) {
    size_t subdirectories = 0, images = 0;
    std::vector<std::string> not_images;  // relative to `dir`, for the notice
    for (const fs::path& p : list_directory(dir, subdirectories)) {
      const Entry entry = add_entry(p);
      if (entry == Entry::Added) ++images;
      if (entry == Entry::NotImage) not_images.push_back(p.lexically_relative(dir).string());
    }
    collected_.skipped.not_image += not_images.size();
    collected_.skipped.subdirectories += subdirectories;
    report_directory(dir, images, not_images, subdirectories);
  }

  // One line per directory, however many files: the count and the first few names.
  void report_directory(const std::string& dir, size_t images, const std::vector<std::string>& not_images,
                        size_t subdirectories) const {
    std::string examples;
    for (size_t i = 0; i < not_images.size() && i < 3; ++i) examples += (i ? ", " : "") + not_images[i];
    if (not_images.size() > 3) examples += ", ...";
    const std::string skipped =
        not_images.empty() ? "" : std::to_string(not_images.size()) + " skipped: not an image (" + examples + ")";
    if (images == 0)
      print_notice(notices_, "%s: no images found%s", dir.c_str(), skipped.empty() ? "" : ("; " + skipped).c_str());
    else if (!skipped.empty())
      print_notice(notices_, "%s: %s", dir.c_str(), skipped.c_str());
    if (subdirectories > 0)
      print_notice(notices_, "%s: %zu subdirector%s not searched; add -r", dir.c_str(), subdirectories,
                   subdirectories == 1 ? "y" : "ies");
  }

  const InputOptions& options_;
  std::FILE* notices_;
  CollectedInputs collected_;
  std::set<std::string> seen_;
};

}  // namespace

CollectedInputs collect_inputs(const InputOptions& options, std::FILE* notices) {
  std::vector<std::string> names = options.names;
  if (!options.input_list.empty()) {
    std::vector<std::string> listed = read_list(options.input_list);
    names.insert(names.end(), listed.begin(), listed.end());
  }
  InputCollector collector(options, notices);
  for (const std::string& name : names) collector.add_name(name);
  return collector.take();
}

}  // namespace vkcap::cli
