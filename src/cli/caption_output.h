#pragma once
// Everything `vkcap caption` does with a finished image: the record (-o FILE or stdout), and
// the side outputs asked for (sidecar file, metadata in the image, attention map and JSON). A
// side output that fails never loses the caption: the record keeps it and carries a warning.
#include <cstddef>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/caption_options.h"
#include "cli/output_format.h"
#include "cli/sidecar.h"
#include "vkcap/captioner.h"

namespace vkcap::cli {

class CaptionOutput {
 public:
  // `extra`: what every caption record carries (model, generation settings). `attention_layer`:
  // the layer the maps show, when --attention or --attention-map asked for them.
  CaptionOutput(const CaptionOptions& options, RecordWriter& writer, const GenerationSettings& settings,
                nlohmann::json extra, std::optional<int> attention_layer, int patch_grid, bool progress_on_terminal);

  void write(ImageResult&& result);
  void write_failed(CaptionRecord record);  // an input that failed before it could run

  size_t done() const { return done_; }
  size_t failed() const { return failed_; }
  size_t warned() const { return warned_; }
  size_t stopped_at_length() const { return stopped_at_length_; }

 private:
  // Sidecar, metadata and attention map; returns the first failure ("" when all worked).
  std::string write_side_outputs(const ImageResult& result, CaptionRecord& record) const;
  void finish(const CaptionRecord& record);

  const CaptionOptions& options_;
  RecordWriter& writer_;
  nlohmann::json extra_;
  std::string score_kind_;  // beam search reports HF's sequence score, else the mean log-prob
  std::optional<int> attention_layer_;
  int patch_grid_;
  bool progress_on_terminal_;
  ExistingSidecar existing_;
  size_t done_ = 0, failed_ = 0, warned_ = 0, stopped_at_length_ = 0;
};

}  // namespace vkcap::cli
