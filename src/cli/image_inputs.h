#pragma once
// Which files `vkcap caption` works on: named files, directories (images recognised by their
// first bytes, never by the name), glob patterns the shell left unexpanded (quoted), and lists
// of paths (`--input-list FILE`, `-` = stdin).
//
// A named file is always captioned (if it is not an image, that is its error). In a directory,
// files that are plainly not images are skipped and counted, with one notice per directory
// ("photos: 3 skipped: not an image (a.pdf, b.doc, notes.json)"); one that cannot be read, or
// an empty file with an image extension, becomes a failed record so nothing goes unreported.
// Without --recursive, a directory's subdirectories get one hint line ("2 subdirectories not
// searched; add -r"), and a directory that yields no image says so.
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

// What the walk left out, over all directories given, for the run's summary line.
struct SkippedInputs {
  size_t not_image = 0;       // files in directories that are not a supported image (or empty)
  size_t subdirectories = 0;  // subdirectories not searched because --recursive was not given
};

struct CollectedInputs {
  std::vector<InputItem> items;
  SkippedInputs skipped;
};

// Directory contents are sorted by path so runs (and resumes) see the same order. The same file
// named twice is captioned once. Notices (skipped files, subdirectories, empty directories)
// are printed to `notices` as each directory is walked (null: -q, none).
CollectedInputs collect_inputs(const InputOptions& options, std::FILE* notices);

// The image's identity in -o files: its absolute path with symlinks and "." / ".." resolved, so
// "photos", "./photos" and "/home/me/photos" name the same files (std::filesystem::weakly_canonical).
std::string canonical_image_path(const std::string& path);

enum class FileKind { Image, NotImage, Empty, Unreadable };
// What the first bytes of a file say (the formats decode_image reads, image/header_check.h).
FileKind sniff_file(const std::string& path);

}  // namespace vkcap::cli
