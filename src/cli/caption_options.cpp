#include "cli/caption_options.h"

#include <cstdio>

#include "cli/notice.h"

namespace vkcap::cli {

CaptionerOptions captioner_options(const CaptionOptions& o) {
  CaptionerOptions c = captioner_options(o.device);  // --device, --profile and the environment
  c.fp16 = o.fp16;
  c.on_notice = [notices = o.notices()](const std::string& text) { print_notice(notices, "%s", text.c_str()); };
  return c;
}

GenerationOptions generation_options(const CaptionOptions& o) {
  GenerationOptions g;
  g.preset = o.preset;
  g.max_new_tokens = o.max_new_tokens;
  g.min_new_tokens = o.min_new_tokens;
  g.num_beams = o.beams;
  g.no_repeat_ngram_size = o.no_repeat_ngram;
  g.top_k = o.top_k;
  g.length_penalty = o.length_penalty;
  g.repetition_penalty = o.repetition_penalty;
  g.temperature = o.temperature;
  g.top_p = o.top_p;
  g.do_sample = o.sample;
  g.seed = o.seed;
  g.prompt = o.prompt;
  g.task = o.task;
  g.task_text = o.task_text;
  g.apply_exif_orientation = !o.no_exif_rotate;
  g.keep_cross_attention = o.wants_attention();
  return g;
}

nlohmann::json settings_json(const GenerationSettings& s, const CaptionOptions& o) {
  nlohmann::json j = {{"preset", s.preset},
                      {"max_length", s.max_length},
                      {"min_length", s.min_length},
                      {"num_beams", s.num_beams},
                      {"do_sample", s.do_sample},
                      {"length_penalty", s.length_penalty},
                      {"repetition_penalty", s.repetition_penalty},
                      {"no_repeat_ngram_size", s.no_repeat_ngram_size},
                      {"prompt", s.prompt},
                      {"weights", o.fp16 ? "f16" : "f32"}};
  if (o.no_exif_rotate) j["exif_rotate"] = false;
  if (s.max_new_tokens) j["max_new_tokens"] = *s.max_new_tokens;
  if (!s.task.empty()) j["task"] = s.task;
  if (s.do_sample) j.update({{"temperature", s.temperature}, {"top_k", s.top_k}, {"top_p", s.top_p}, {"seed", s.seed}});
  return j;
}

}  // namespace vkcap::cli
