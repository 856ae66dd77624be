#pragma once
// Which files `vkcap caption` works on: named files, directories (images recognised by their
// first bytes, never by the name), glob patterns the shell left unexpanded (quoted), and lists
// of paths (`--input-list FILE`, `-` = stdin).
//
// A named file is always captioned (if it is not an image, that is its error). In a directory,
// a file that is plainly not an image is skipped with a notice; one that cannot be read, or an
// empty file with an image extension, becomes a failed record so nothing goes unreported.
#include <cstdio>
#include <string>
#include <vector>

namespace vkcap::cli {

struct InputOptions {
  std::vector<std::string> names;  // files, directories or patterns, in the order given
  std::string input_list;          // a file with one path per line; "-" reads stdin
  bool recursive = false;
  std::vector<std::string> quiet_extensions = {".txt"};  // sidecars: skipped without a notice
};

struct InputItem {
  std::string path;
  std::string error;  // set when the file is already known to be unusable
};

// Directory contents are sorted by path so runs (and resumes) see the same order. The same path
// named twice is captioned once.
std::vector<InputItem> collect_inputs(const InputOptions& options, std::FILE* notices);

enum class FileKind { Image, NotImage, Empty, Unreadable };
// What the first bytes of a file say (PNG, JPEG, GIF and BMP are the images we decode).
FileKind sniff_file(const std::string& path);

}  // namespace vkcap::cli
