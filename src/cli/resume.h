#pragma once
// Resuming a run: `-o FILE` is appended to, one complete line per record, so a re-run with the
// same FILE can tell which images are finished and skip them. A crash, kill -9 or Ctrl-C can
// leave at most one torn last line; it is cut off before appending, so no record is lost twice
// or written twice.
//
// jsonl, tsv and csv name the image in every line and resume. A json array cannot be appended
// to (its closing bracket would have to move), and txt lines do not say which image they
// describe: for those an existing non-empty FILE is refused rather than silently mixed.
#include <filesystem>
#include <set>
#include <string>

#include "cli/output_format.h"

namespace vkcap::cli {

struct ResumeState {
  std::set<std::string> finished;  // images with a caption record (failed images are retried)
  bool has_records = false;        // the file already holds records (csv: header written)
  size_t torn_bytes = 0;           // bytes of an unfinished last line that were cut off
};

// Reads FILE (absent or empty: nothing finished), cuts a torn last line, and says which images
// are done. Throws vkcap::Error for json/txt files that already hold records.
ResumeState prepare_resume(const std::filesystem::path& file, Format format);

}  // namespace vkcap::cli
