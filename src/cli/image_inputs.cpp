#include "cli/image_inputs.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/platform.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

bool image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".gif" || ext == ".bmp";
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

FileKind sniff_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileKind::Unreadable;
  unsigned char b[8] = {0};
  in.read(reinterpret_cast<char*>(b), sizeof b);
  const auto n = in.gcount();
  if (n == 0) return in.bad() ? FileKind::Unreadable : FileKind::Empty;
  const bool png = n >= 8 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
  const bool jpeg = n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
  const bool gif = n >= 6 && (std::memcmp(b, "GIF87a", 6) == 0 || std::memcmp(b, "GIF89a", 6) == 0);
  const bool bmp = n >= 2 && b[0] == 'B' && b[1] == 'M';
  return png || jpeg || gif || bmp ? FileKind::Image : FileKind::NotImage;
}

std::vector<InputItem> collect_inputs(const InputOptions& options, std::FILE* notices) {
  std::vector<std::string> names = options.names;
  if (!options.input_list.empty()) {
    std::vector<std::string> listed = read_list(options.input_list);
    names.insert(names.end(), listed.begin(), listed.end());
  }
  std::vector<InputItem> items;
  std::set<std::string> seen;
  auto add = [&](InputItem item) {
    if (seen.insert(item.path).second) items.push_back(std::move(item));
  };
  auto quiet = [&](const fs::path& p) {
    const std::string name = p.filename().string();
    return name.empty() || name[0] == '.' ||
           std::find(options.quiet_extensions.begin(), options.quiet_extensions.end(), p.extension().string()) !=
               options.quiet_extensions.end();
  };

  auto add_directory = [&](const std::string& dir) {
    std::vector<fs::path> entries;
    std::error_code ec;
    auto note_error = [&](const std::string& where) {
      if (ec) std::fprintf(notices, "vkcap: %s: %s\n", where.c_str(), ec.message().c_str()), ec.clear();
    };
    if (options.recursive) {
      fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
      note_error(dir);
      for (; it != end; it.increment(ec)) {
        note_error(dir);
        if (it->path().filename().string().starts_with(".") && it->is_directory(ec)) it.disable_recursion_pending();
        if (!it->is_directory(ec)) entries.push_back(it->path());
      }
    } else {
      for (fs::directory_iterator it(dir, ec), end; it != end; it.increment(ec))
        if (!it->is_directory(ec)) entries.push_back(it->path());
      note_error(dir);
    }
    std::sort(entries.begin(), entries.end());
    for (const fs::path& p : entries) {
      switch (sniff_file(p.string())) {
        case FileKind::Image:
          add({p.string(), ""});
          break;
        case FileKind::Unreadable:
          // A dangling symlink or a file without read permission: somebody meant it to be here.
          if (!quiet(p)) add({p.string(), p.string() + ": cannot read (" + std::strerror(errno) + ")"});
          break;
        case FileKind::Empty:
          if (image_extension(p))
            add({p.string(), p.string() + ": empty file"});
          else if (!quiet(p))
            std::fprintf(notices, "vkcap: skipping %s: empty file\n", p.c_str());
          break;
        case FileKind::NotImage:
          if (!quiet(p)) std::fprintf(notices, "vkcap: skipping %s: not a supported image\n", p.c_str());
          break;
      }
    }
  };

  for (const std::string& name : names) {
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
  return items;
}

}  // namespace vkcap::cli
