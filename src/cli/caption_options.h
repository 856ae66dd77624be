#pragma once
// `vkcap caption`'s flags, and what they mean for the engine: the CaptionerOptions that open the
// model and the GenerationOptions that caption with it.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/image_inputs.h"
#include "cli/shard.h"
#include "vkcap/captioner.h"

namespace vkcap::cli {

struct CaptionOptions {
  DeviceOptions device;
  std::string model;
  InputOptions inputs;
  std::string format;  // empty: from -o FILE's extension, else tsv
  std::string output;
  bool fsync = false;
  bool resume_any = false;  // append to -o FILE even if its records come from another model or settings
  bool quiet = false;       // -q: no notices, only errors, warnings and results
  std::string sidecar;  // the sidecar extension; empty: no sidecars
  std::string existing = "skip";
  std::string prefix, suffix;
  int batch = 1;
  bool progress = false;
  bool fp16 = false;
  std::string prompt;
  std::string task, task_text;  // Florence-2: --task NAME, --text TEXT
  bool no_exif_rotate = false;
  bool write_metadata = false;  // the caption into the image's XMP / EXIF / IPTC
  // Cross-attention: --attention-map OUT (PNG or directory), --attention (JSON), the layer shown.
  std::string attention_map;
  bool attention = false;
  std::string attention_layer = "mean";
  std::string draw_boxes;  // --draw-boxes OUT: Florence-2 region answers over the image (PNG or directory)
  // Generation, under Hugging Face's names; unset ones come from the preset (empty: the model's).
  std::string preset;
  std::optional<int> max_new_tokens, min_new_tokens, beams, no_repeat_ngram, top_k;
  std::optional<double> length_penalty, repetition_penalty, temperature, top_p;
  bool sample = false;
  uint64_t seed = 0;
  // --shard K/N | auto and --shards N (scale-out, cli/shard.h); `shard` is resolved by run_caption.
  std::string shard_text;
  std::optional<int> shards;
  std::optional<Shard> shard;

  bool wants_attention() const { return attention || !attention_map.empty(); }
  std::FILE* notices() const { return quiet ? nullptr : stderr; }  // for print_notice
};

CaptionerOptions captioner_options(const CaptionOptions& options);
GenerationOptions generation_options(const CaptionOptions& options);

// The settings every record carries (json/jsonl "generation"), so a file says how it was made
// (and a resume can tell whether it continues the same run): the resolved generation settings,
// the weights' precision, and whether EXIF orientation was ignored (only when it was, so records
// of earlier versions compare equal).
nlohmann::json settings_json(const GenerationSettings& settings, const CaptionOptions& options);

}  // namespace vkcap::cli
