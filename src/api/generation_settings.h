#pragma once
// From the public GenerationOptions (a preset plus explicit overrides) to generation's
// GenerationConfig for one model, and back to the resolved GenerationSettings people see.
//
// Presets are named sets of settings; explicit options are applied after a preset and win.
// Lengths are Hugging Face's: max_length counts the decoder's start token (and any prompt),
// max_new_tokens does not.
//   hf       transformers' defaults with the checkpoint's config: greedy, max_length 20 (Florence-2:
//            its text_config's 3 beams, no repeated 3-grams, early stopping). The parity setting.
//   card     what the model's own card or demo uses (Florence-2's default):
//              Florence-2: hf's settings with max_new_tokens 1024 (the card's generate call).
//              BLIP: num_beams 3, max_length 20, min_length 5 (the BLIP authors' demo:
//              `generate::generate(image, sample=False, num_beams=3, max_length=20, min_length=5)`).
//              ViT-GPT2: num_beams 4, max_length 16 (the nlpconnect card's gen_kwargs).
//   quality  longer, less repetitive captions: num_beams 5, max_new_tokens 40, min_new_tokens 5,
//            no_repeat_ngram_size 3, repetition_penalty 1.2.
#include <string>
#include <vector>

#include "generate/generation_config.h"
#include "model/caption_model.h"
#include "vkcap/captioner.h"

namespace vkcap::api {

// Everything one generate::generate() call needs for one model and one GenerationOptions.
struct PreparedGeneration {
  generate::GenerationConfig config;
  generate::ResolvedGeneration resolved;
  std::vector<int32_t> prompt;  // the decoder prompt
  std::vector<int32_t> encoder_prompt;  // Florence-2: the task prompt's ids (<s> … </s>)
  std::string task_token;               // Florence-2: the task ("<CAPTION>"); empty otherwise
  GenerationSettings settings;  // for people and records
  std::string notice;           // set when a preset's length was cut to the model's positions
};

// The model's stop and pad tokens, the preset, then the explicit options; lengths resolved for
// the decoder prompt. A preset that asks for more positions than the model has is cut to fit
// (with a notice); explicit lengths that do not fit, an unknown preset or settings HF refuses
// throw InvalidArgumentError naming the setting.
PreparedGeneration prepare_generation(const model::CaptionModel& model, const GenerationOptions& options);

}  // namespace vkcap::api
