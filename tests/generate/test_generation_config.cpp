#include <doctest/doctest.h>

#include "generate/generation_config.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::generate;

TEST_CASE("HF defaults") {
  GenerationConfig config;
  CHECK(config.max_length == 20);
  CHECK(config.num_beams == 1);
  CHECK(config.top_k == 50);
  CHECK(config.early_stopping == EarlyStopping::kFalse);
  const ResolvedGeneration r = resolve_generation(config, 1);
  CHECK(r.mode == DecodingMode::kGreedy);
  CHECK(r.max_length == 20);  // BLIP without prompt: at most 19 new tokens
}

TEST_CASE("*_new_tokens count from the decoder prompt and win over max_length / min_length") {
  GenerationConfig config;
  config.max_length = 7;
  config.max_new_tokens = 12;
  config.min_length = 3;
  config.min_new_tokens = 12;
  const ResolvedGeneration r = resolve_generation(config, 4);  // [DEC] a picture of
  CHECK(r.max_length == 16);
  CHECK(r.min_length == 16);
  CHECK(r.min_new_tokens == 12);
}

TEST_CASE("pad_token_id falls back to the first EOS id") {
  GenerationConfig config;
  config.eos_token_id = {5, 7};
  CHECK(resolve_generation(config, 1).pad_token_id == 5);
  config.pad_token_id = 0;
  CHECK(resolve_generation(config, 1).pad_token_id == 0);
}

TEST_CASE("options are set by their HF names") {
  GenerationConfig config;
  set_generation_option(config, "max_new_tokens", "12");
  set_generation_option(config, "num_beams", "3");
  set_generation_option(config, "early_stopping", "never");
  set_generation_option(config, "eos_token_id", "5,7");
  set_generation_option(config, "do_sample", "false");
  set_generation_option(config, "top_p", "0.9");
  set_generation_option(config, "length_penalty", "0.6");
  CHECK(config.max_new_tokens == 12);
  CHECK(config.num_beams == 3);
  CHECK(config.early_stopping == EarlyStopping::kNever);
  CHECK(config.eos_token_id == std::vector<int32_t>{5, 7});
  CHECK(config.top_p == 0.9);
  CHECK(config.length_penalty == 0.6);  // kept as the Python double
  set_generation_option(config, "early_stopping", "true");
  CHECK(config.early_stopping == EarlyStopping::kTrue);
  CHECK_THROWS_AS(set_generation_option(config, "num_beams", "three"), Error);
  CHECK_THROWS_AS(set_generation_option(config, "beams", "3"), Error);
}

TEST_CASE("invalid combinations are refused as HF refuses them") {
  GenerationConfig greedy_many;
  greedy_many.num_return_sequences = 2;
  CHECK_THROWS_AS(resolve_generation(greedy_many, 1), Error);
  GenerationConfig beams;
  beams.num_beams = 2;
  beams.num_return_sequences = 3;
  CHECK_THROWS_AS(resolve_generation(beams, 1), Error);
  GenerationConfig beam_sample;
  beam_sample.num_beams = 2;
  beam_sample.do_sample = true;
  CHECK_THROWS_AS(resolve_generation(beam_sample, 1), Error);
  GenerationConfig cold;
  cold.do_sample = true;
  cold.temperature = 0.0;
  CHECK_THROWS_AS(resolve_generation(cold, 1), Error);
}

