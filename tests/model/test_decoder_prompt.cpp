// How each architecture's generate() builds the decoder's first input.
#include <doctest/doctest.h>

#include "model/decoder_prompt.h"

namespace vkcap::model {

TEST_CASE("BLIP's decoder prompt: [CLS] becomes [DEC] and the last column is dropped") {
  // blip_tiny_a, prompt "a picture of": processor ids [4, 13, 14, 16, 5], [DEC] = 120.
  const std::vector<int32_t> processor_ids{4, 13, 14, 16, 5};
  CHECK(decoder_prompt_for_blip(processor_ids, 120) == std::vector<int32_t>{120, 13, 14, 16});
  CHECK(decoder_prompt_for_blip({}, 120) == std::vector<int32_t>{120});
}

TEST_CASE("ViT-GPT2's decoder prompt starts with decoder_start_token_id once") {
  CHECK(decoder_prompt_for_vitgpt2({}, 279) == std::vector<int32_t>{279});
  const std::vector<int32_t> prompt{64, 220, 65};
  CHECK(decoder_prompt_for_vitgpt2(prompt, 279) == std::vector<int32_t>{279, 64, 220, 65});
  const std::vector<int32_t> started{279, 64};
  CHECK(decoder_prompt_for_vitgpt2(started, 279) == std::vector<int32_t>{279, 64});
}

}  // namespace vkcap::model
