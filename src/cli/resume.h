#pragma once
// Resuming a run: `-o FILE` is appended to, one complete line per record, so a re-run with the
// same FILE can tell which images are finished and skip them. A crash, kill -9 or Ctrl-C can
// leave at most one torn last line; it is cut off before appending, so no record is lost or
// written twice.
//
// vkcap appends only to a file it recognises as its own output in the run's format: jsonl where
// every line is a JSON object naming its "image", csv under vkcap's column header, tsv under its
// "# vkcap tsv" header line. Anything else (somebody's notes, a photo, another format) is refused
// before a byte is touched, and only a torn last line of vkcap's own records is ever cut. A json
// array cannot be appended to (its closing bracket would have to move), and txt lines do not say
// which image they describe: an existing non-empty FILE is refused for those.
//
// Images are compared by canonical path (canonical_image_path), and the records say which model
// and settings made them: a run with another model or other settings is refused unless the
// caller allows mixing (--resume-any).
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "cli/output_format.h"

namespace vkcap::cli {

// Who made a file's records: the model directory and the generation settings (settings_json).
struct RunIdentity {
  std::string model;
  nlohmann::json settings;
};

struct ResumeState {
  std::set<std::string> finished;       // canonical paths of images with a caption record
  bool has_records = false;             // whole lines already there (tsv, csv: the header too)
  bool six_column_csv = false;          // a csv from before the model and settings columns
  size_t complete_bytes = 0;            // the file up to the end of its last whole line
  size_t torn_bytes = 0;                // an unfinished last line of vkcap's, to be cut off
  std::optional<RunIdentity> identity;  // of the last records that name their model
};

// What the existing content of -o FILE (`text`; empty for a new file) holds for a run writing
// `format`. Throws InvalidArgumentError, saying why, for a file vkcap must not append to. Reads
// only: cutting the torn line is the caller's, once nothing else can refuse the run.
ResumeState read_resume_state(const std::string& text, const std::string& file, Format format);

// What differs between the file's records and this run ("model A vs B; num_beams 1 vs 3"); ""
// when they agree. Model directories are compared by canonical path.
std::string identity_difference(const RunIdentity& file, const RunIdentity& run);

}  // namespace vkcap::cli
