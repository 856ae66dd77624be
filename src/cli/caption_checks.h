#pragma once
// What `vkcap caption` checks before anything loads, each a usage error (InvalidArgumentError,
// exit 2) with one line saying what to do: the output format, options that would do nothing in
// the combination given, a word left behind by --sidecar, the model directory, and whether the
// records already in -o FILE came from the same model and settings.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <filesystem>

#include "cli/caption_options.h"
#include "cli/output_format.h"
#include "cli/resume.h"

namespace vkcap::cli {

// -f, else -o FILE's extension, else tsv; an -f that contradicts the extension is refused.
Format resolve_format(const CaptionOptions& options);

// --temperature without --sample, --existing without --sidecar, ... (`command`: which were given).
void check_option_combinations(const CLI::App& command, const CaptionOptions& options);

// `--sidecar caption` leaves "caption" as an input: --sidecar's extension goes after '='.
void check_sidecar_word(const CaptionOptions& options);

// Combinations that cannot work once the number of images is known (--attention, --attention-map).
void check_flags(const CaptionOptions& options, Format format, size_t images);

// The model directory, canonical, checked complete (a notice when it is the bundled default).
std::filesystem::path model_directory(const CaptionOptions& options);

// Appending to records that another model or other settings made is refused unless --resume-any.
void check_identity(const CaptionOptions& options, const ResumeState& resume, const RunIdentity& run);

}  // namespace vkcap::cli
