#pragma once
// What a `vkcap caption` run has to do: the inputs, minus those a previous run finished (records
// in -o FILE, or sidecars that --existing skip keeps), and the inputs already known to fail.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/caption_options.h"
#include "cli/image_inputs.h"
#include "cli/output_format.h"
#include "cli/resume.h"

namespace vkcap::cli {

struct CaptionPlan {
  std::vector<std::filesystem::path> todo;  // to caption, in order
  std::vector<CaptionRecord> failed;        // inputs that fail without being run (their records)
  size_t already_done = 0;                  // finished by an earlier run
  size_t total = 0;                         // inputs found (in this shard)
  size_t other_shards = 0;                  // inputs left to the other --shard workers
  SkippedInputs skipped;                    // what the directory walk left out, for the summary
};

// `resume`: what -o FILE already holds (images by canonical path). Throws InvalidArgumentError
// for a usage problem (nothing to do with any one image).
CaptionPlan plan_captions(const CaptionOptions& options, const ResumeState& resume);

}  // namespace vkcap::cli
