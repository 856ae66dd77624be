#pragma once
// The decoder's first input, as each architecture's `generate` builds it (the models' generate() in transformers 4.40.2).
#include <cstdint>
#include <span>
#include <vector>

namespace vkcap::model {

// BLIP (`BlipForConditionalGeneration.generate`): without text, input_ids = [bos, eos]; with
// text, the processor's tokenizer(text) = [CLS] tokens… [SEP]. Then input_ids[:, 0] = bos
// ([CLS] → [DEC]) and the last column is dropped (the placeholder eos, or [SEP]).
// So: no text → [bos]; "a picture of" → [bos, a, picture, of]. Pass the tokenizer's ids with
// their [CLS]/[SEP] (empty span for no text). Stop token for generation is sep_token_id, pad is
// pad_token_id (text_config), not text_config.eos_token_id.
std::vector<int32_t> decoder_prompt_for_blip(std::span<const int32_t> processor_input_ids, int32_t bos_token_id);

// VisionEncoderDecoder (`_prepare_decoder_input_ids_for_generation`): [decoder_start_token_id],
// or the user's decoder_input_ids (GPT-2 adds no special tokens) with the start token
// prepended unless they already begin with it.
std::vector<int32_t> decoder_prompt_for_vitgpt2(std::span<const int32_t> prompt_ids, int32_t decoder_start_token_id);

}  // namespace vkcap::model
