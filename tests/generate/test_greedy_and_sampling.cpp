#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "fake_step_model.h"
#include "generate/decoding.h"
#include "generate/generate.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::generate;
using vkcap::test::FakeStepModel;
using vkcap::test::logits_from_probs;

namespace {

// Token ids: 0 start, 1 EOS, 2 a, 3 b, 4 c, 5 d.
constexpr int kVocab = 6;
const std::vector<int32_t> kPrompt{0};

// A chain 0 → b → c → EOS, anything else prefers EOS a little less than it prefers "a".
std::vector<float> chain_table(int image, const std::vector<int32_t>& h) {
  using H = std::vector<int32_t>;
  if (image == 1) {  // a second image with another favourite path: 0 → d → d → …
    if (h == H{0}) return logits_from_probs(kVocab, {{5, 0.7}, {1, 0.3}});
    return logits_from_probs(kVocab, {{5, 0.6}, {2, 0.25}, {1, 0.15}});
  }
  if (h == H{0}) return logits_from_probs(kVocab, {{3, 0.6}, {2, 0.2}, {1, 0.2}});
  if (h == H{0, 3}) return logits_from_probs(kVocab, {{4, 0.5}, {1, 0.3}, {2, 0.2}});
  if (h == H{0, 3, 4}) return logits_from_probs(kVocab, {{1, 0.7}, {2, 0.3}});
  return logits_from_probs(kVocab, {{1, 0.5}, {2, 0.3}, {3, 0.2}});
}

GenerationConfig greedy_config(int max_new_tokens) {
  GenerationConfig config;
  config.max_new_tokens = max_new_tokens;
  config.eos_token_id = {1};
  config.pad_token_id = 0;
  return config;
}

}  // namespace

TEST_CASE("greedy follows the argmax and stops at EOS, keeping it") {
  FakeStepModel model(kVocab, chain_table);
  auto config = greedy_config(10);
  config.record_steps = true;
  auto out = generate::generate(model, kPrompt, 1, config);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tokens == std::vector<int32_t>{0, 3, 4, 1});
  CHECK(out[0].new_tokens == std::vector<int32_t>{3, 4, 1});
  CHECK(out[0].finish_reason == "eos");
  CHECK(out[0].score == doctest::Approx((std::log(0.6) + std::log(0.5) + std::log(0.7)) / 3).epsilon(1e-5));
  REQUIRE(out[0].steps.size() == 3);
  CHECK(out[0].steps[1].token == 4);
  CHECK(out[0].steps[1].logprob == doctest::Approx(std::log(0.5)).epsilon(1e-5));
  // The model was fed every token but the last.
  REQUIRE(model.steps.size() == 2);
  CHECK(model.steps[0].next_token == std::vector<int32_t>{3});
  CHECK(model.steps[1].next_token == std::vector<int32_t>{4});
}

TEST_CASE("greedy honours max_new_tokens") {
  FakeStepModel model(kVocab, chain_table);
  auto out = generate::generate(model, kPrompt, 1, greedy_config(2));
  CHECK(out[0].tokens == std::vector<int32_t>{0, 3, 4});
  CHECK(out[0].finish_reason == "length");
  CHECK(model.steps.size() == 1);
}

TEST_CASE("max_length counts the decoder prompt") {
  FakeStepModel model(kVocab, chain_table);
  GenerationConfig config = greedy_config(0);
  config.max_new_tokens.reset();
  config.max_length = 3;  // prompt (1) + 2 new tokens
  CHECK(generate::generate(model, kPrompt, 1, config)[0].tokens == std::vector<int32_t>{0, 3, 4});
}

TEST_CASE("min_new_tokens masks EOS until that many new tokens exist") {
  FakeStepModel model(kVocab, chain_table);
  auto config = greedy_config(5);
  config.min_new_tokens = 4;
  auto out = generate::generate(model, kPrompt, 1, config);
  // 0 b c → EOS masked → a; 0 b c a → still masked (3 new) → a; then EOS is allowed.
  CHECK(out[0].tokens == std::vector<int32_t>{0, 3, 4, 2, 2, 1});
  CHECK(out[0].finish_reason == "eos");

  SUBCASE("min_new_tokens = max_new_tokens forces the full length (greedy_forced_length)") {
    auto forced = greedy_config(3);
    forced.min_new_tokens = 3;
    auto o = generate::generate(model, kPrompt, 1, forced);
    CHECK(o[0].tokens == std::vector<int32_t>{0, 3, 4, 2});
    CHECK(o[0].finish_reason == "length");
  }
}

TEST_CASE("repetition penalty changes the greedy choice on raw logits") {
  auto table = [](int, const std::vector<int32_t>& h) {
    if (h == std::vector<int32_t>{0}) return logits_from_probs(kVocab, {{3, 0.6}, {2, 0.4}});
    return logits_from_probs(kVocab, {{3, 0.5}, {4, 0.45}, {1, 0.05}});
  };
  FakeStepModel model(kVocab, table);
  auto config = greedy_config(2);
  CHECK(generate::generate(model, kPrompt, 1, config)[0].new_tokens == std::vector<int32_t>{3, 3});
  config.repetition_penalty = 1.5;  // ln .5 · 1.5 = −1.04 < ln .45 = −0.80
  CHECK(generate::generate(model, kPrompt, 1, config)[0].new_tokens == std::vector<int32_t>{3, 4});
}

TEST_CASE("no_repeat_ngram_size 1 forbids repeating any token") {
  auto table = [](int, const std::vector<int32_t>&) {
    return logits_from_probs(kVocab, {{3, 0.5}, {4, 0.3}, {5, 0.15}, {1, 0.05}});
  };
  FakeStepModel model(kVocab, table);
  auto config = greedy_config(3);
  config.no_repeat_ngram_size = 1;
  CHECK(generate::generate(model, kPrompt, 1, config)[0].new_tokens == std::vector<int32_t>{3, 4, 5});
}

TEST_CASE("a batch of images gives each image the result it gets alone, and drops finished rows") {
  FakeStepModel batch(kVocab, chain_table);
  auto config = greedy_config(6);
  auto together = generate::generate(batch, kPrompt, 2, config);
  REQUIRE(together.size() == 2);
  for (int image = 0; image < 2; ++image) {
    FakeStepModel alone(kVocab, chain_table);
    alone.table_images = {image};
    auto single = generate::generate(alone, kPrompt, 1, config);
    CHECK(together[static_cast<size_t>(image)].image == image);
    CHECK(together[static_cast<size_t>(image)].tokens == single[0].tokens);
    CHECK(together[static_cast<size_t>(image)].score == single[0].score);
    CHECK(together[static_cast<size_t>(image)].finish_reason == single[0].finish_reason);
  }
  CHECK(together[1].tokens == std::vector<int32_t>{0, 5, 5, 5, 5, 5, 5});
  // Image 0 finished after 3 tokens; later steps carry only image 1's row.
  CHECK(batch.steps.front().parent.size() == 2);
  CHECK(batch.steps.back().parent == std::vector<int>{0});
}

TEST_CASE("a max_length beyond the model's positions is refused") {
  FakeStepModel model(kVocab, chain_table, /*max_positions=*/4);
  CHECK_NOTHROW(generate::generate(model, kPrompt, 1, greedy_config(4)));  // feeds positions 0..3
  CHECK_THROWS_AS(generate::generate(model, kPrompt, 1, greedy_config(5)), Error);
}

TEST_CASE("sampling is deterministic for a seed and each image's samples ignore the batch") {
  auto flat = [](int, const std::vector<int32_t>&) {
    return logits_from_probs(kVocab, {{2, 0.3}, {3, 0.25}, {4, 0.25}, {5, 0.15}, {1, 0.05}});
  };
  GenerationConfig config = greedy_config(8);
  config.do_sample = true;
  config.top_k = 0;
  config.seed = 1234;
  config.num_return_sequences = 3;
  FakeStepModel a(kVocab, flat), b(kVocab, flat), batch(kVocab, flat);
  auto first = generate::generate(a, kPrompt, 1, config);
  auto second = generate::generate(b, kPrompt, 1, config);
  REQUIRE(first.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(first[i].tokens == second[i].tokens);
  CHECK((first[0].tokens != first[1].tokens || first[1].tokens != first[2].tokens));
  auto together = generate::generate(batch, kPrompt, 2, config);
  REQUIRE(together.size() == 6);
  for (size_t i = 0; i < 3; ++i) CHECK(together[i].tokens == first[i].tokens);
  config.seed = 99;
  FakeStepModel c(kVocab, flat);
  auto other = generate::generate(c, kPrompt, 1, config);
  CHECK((other[0].tokens != first[0].tokens || other[1].tokens != first[1].tokens ||
         other[2].tokens != first[2].tokens));
}

TEST_CASE("sampling with top_k = 1 is greedy") {
  FakeStepModel sampled(kVocab, chain_table), greedy(kVocab, chain_table);
  auto config = greedy_config(10);
  auto greedy_out = generate::generate(greedy, kPrompt, 2, config);
  config.do_sample = true;
  config.top_k = 1;
  config.temperature = 0.7;
  auto sampled_out = generate::generate(sampled, kPrompt, 2, config);
  for (size_t i = 0; i < 2; ++i) CHECK(sampled_out[i].tokens == greedy_out[i].tokens);
}

TEST_CASE("the categorical sampler follows the probabilities") {
  std::mt19937_64 rng(7);
  const std::vector<float> probs{0.2f, 0.0f, 0.3f, 0.5f};
  std::vector<int> counts(4, 0);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++counts[static_cast<size_t>(sample_categorical(probs, rng))];
  CHECK(counts[1] == 0);
  CHECK(counts[0] / double(draws) == doctest::Approx(0.2).epsilon(0.05));
  CHECK(counts[2] / double(draws) == doctest::Approx(0.3).epsilon(0.05));
  CHECK(counts[3] / double(draws) == doctest::Approx(0.5).epsilon(0.05));
}
