#pragma once
// Named sets of generation settings (`--preset`). Explicit flags are applied after a preset and
// win over it. Lengths are Hugging Face's: max_length counts the decoder's start token (and any
// prompt), max_new_tokens does not.
//
//   hf       transformers' defaults with the checkpoint's config: greedy, max_length 20. The
//            parity setting (the golden tests use it); also what runs without --preset.
//   card     what the model's own card / demo uses:
//              BLIP: num_beams 3, max_length 20, min_length 5 — the settings of the BLIP
//              authors' demo and Replicate predictor (`model.generate(image, sample=False,
//              num_beams=3, max_length=20, min_length=5)`); the HF card itself shows plain
//              generate(), which is `hf`.
//              ViT-GPT2: num_beams 4, max_length 16 (the nlpconnect card's gen_kwargs).
//   quality  longer, less repetitive captions: num_beams 5, max_new_tokens 40, min_new_tokens 5,
//            no_repeat_ngram_size 3, repetition_penalty 1.2. Slower (5 beams).
#include <string>
#include <vector>

#include "generate/generation_config.h"
#include "model/config.h"

namespace vkcap::cli {

const std::vector<std::string>& preset_names();

// Throws vkcap::Error for an unknown name.
void apply_preset(const std::string& name, Architecture arch, GenerationConfig& config);

}  // namespace vkcap::cli
