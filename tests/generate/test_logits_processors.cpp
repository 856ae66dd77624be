#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "generate/logits_processors.h"

using namespace vkcap;
using namespace vkcap::generate;

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();
}

TEST_CASE("repetition penalty divides positive and multiplies negative scores of seen ids, once each") {
  std::vector<float> scores{2.0f, -1.0f, 3.0f, 4.0f};
  std::vector<int32_t> ids{0, 1, 1, 0, 1};
  apply_repetition_penalty(ids, 2.0f, scores);
  CHECK(scores == std::vector<float>{1.0f, -2.0f, 3.0f, 4.0f});
}

TEST_CASE("no-repeat n-gram bans the tokens that followed the current prefix before") {
  const std::vector<int32_t> ids{1, 2, 3, 1, 2};
  SUBCASE("trigrams: prefix (1,2) was followed by 3") {
    std::vector<float> scores(6, 0.0f);
    ban_repeated_ngrams(ids, 3, scores);
    CHECK(scores == std::vector<float>{0, 0, 0, -kInf, 0, 0});
  }
  SUBCASE("bigrams: prefix (2) was followed by 3") {
    std::vector<float> scores(6, 0.0f);
    ban_repeated_ngrams(ids, 2, scores);
    CHECK(scores == std::vector<float>{0, 0, 0, -kInf, 0, 0});
  }
  SUBCASE("unigrams ban every token seen") {
    std::vector<float> scores(6, 0.0f);
    ban_repeated_ngrams(ids, 1, scores);
    CHECK(scores == std::vector<float>{0, -kInf, -kInf, -kInf, 0, 0});
  }
  SUBCASE("several earlier occurrences of the prefix ban all their followers") {
    std::vector<int32_t> seq{4, 1, 4, 2, 4};
    std::vector<float> scores(6, 0.0f);
    ban_repeated_ngrams(seq, 2, scores);
    CHECK(scores == std::vector<float>{0, -kInf, -kInf, 0, 0, 0});
  }
  SUBCASE("nothing is banned while cur_len + 1 < n") {
    std::vector<float> scores(6, 0.0f);
    ban_repeated_ngrams(std::vector<int32_t>{1, 2}, 4, scores);
    CHECK(scores == std::vector<float>(6, 0.0f));
  }
}

TEST_CASE("min length and min new tokens mask EOS until enough tokens exist") {
  GenerationConfig config;
  config.eos_token_id = {1};
  config.min_new_tokens = 2;
  const ResolvedGeneration resolved = resolve_generation(config, 3);
  CHECK(resolved.min_length == 5);
  LogitsProcessorList processors(config, resolved);
  std::vector<float> scores{0.0f, 5.0f, 1.0f};
  processors.apply(std::vector<int32_t>{9, 9, 9, 9}, scores);  // 1 new token < 2
  CHECK(scores[1] == -kInf);
  scores = {0.0f, 5.0f, 1.0f};
  processors.apply(std::vector<int32_t>{9, 9, 9, 9, 9}, scores);
  CHECK(scores[1] == 5.0f);
}

TEST_CASE("temperature divides the scores") {
  std::vector<float> scores{2.0f, -4.0f};
  apply_temperature(2.0f, scores);
  CHECK(scores == std::vector<float>{1.0f, -2.0f});
}

TEST_CASE("top-k keeps scores equal to the k-th largest") {
  SUBCASE("k = 2 with a tie at the top keeps both tied") {
    std::vector<float> scores{1.0f, 3.0f, 3.0f, 2.0f};
    apply_top_k(2, 1, scores);
    CHECK(scores == std::vector<float>{-kInf, 3.0f, 3.0f, -kInf});
  }
  SUBCASE("k = 2 with a tie at the k-th place keeps more than k") {
    std::vector<float> scores{2.0f, 3.0f, 1.0f, 2.0f};
    apply_top_k(2, 1, scores);
    CHECK(scores == std::vector<float>{2.0f, 3.0f, -kInf, 2.0f});
  }
  SUBCASE("k beyond the vocabulary keeps everything") {
    std::vector<float> scores{2.0f, 3.0f};
    apply_top_k(50, 1, scores);
    CHECK(scores == std::vector<float>{2.0f, 3.0f});
  }
}

TEST_CASE("top-p removes the low tail whose cumulative probability is ≤ 1 − top_p") {
  auto row = [] {
    return std::vector<float>{std::log(0.1f), std::log(0.4f), std::log(0.2f), std::log(0.3f)};
  };
  SUBCASE("top_p 0.75 removes only the 0.1 token") {
    auto scores = row();
    apply_top_p(0.75, 1, scores);
    CHECK(scores[0] == -kInf);
    CHECK(scores[1] == row()[1]);
    CHECK(scores[2] == row()[2]);
    CHECK(scores[3] == row()[3]);
  }
  SUBCASE("top_p 0.35 keeps only the most likely token") {
    auto scores = row();
    apply_top_p(0.35, 1, scores);
    CHECK(scores[0] == -kInf);
    CHECK(scores[1] == row()[1]);
    CHECK(scores[2] == -kInf);
    CHECK(scores[3] == -kInf);
  }
  SUBCASE("top_p 0 still keeps min_tokens_to_keep") {
    auto scores = row();
    apply_top_p(0.0, 2, scores);
    CHECK(scores[1] == row()[1]);
    CHECK(scores[3] == row()[3]);
    CHECK(scores[0] == -kInf);
    CHECK(scores[2] == -kInf);
  }
}

TEST_CASE("log_softmax and softmax agree with the definitions") {
  std::vector<float> logits{1.0f, 2.0f, 3.0f}, out(3), probs(3);
  log_softmax(logits, out);
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  for (int i = 0; i < 3; ++i) CHECK(out[i] == doctest::Approx(logits[i] - lse).epsilon(1e-6));
  softmax(logits, probs);
  CHECK(probs[0] + probs[1] + probs[2] == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(probs[2] == doctest::Approx(std::exp(3.0 - lse)).epsilon(1e-6));
}

TEST_CASE("argmax takes the first maximum") {
  CHECK(argmax(std::vector<float>{1.0f, 5.0f, 5.0f, 2.0f}) == 1);
}

TEST_CASE("forced BOS and forced EOS leave only their token, at sequence length 1 and max_length − 1") {
  GenerationConfig config;
  config.eos_token_id = {2};
  config.forced_bos_token_id = 0;
  config.forced_eos_token_id = 2;
  config.max_new_tokens = 3;
  const ResolvedGeneration resolved = resolve_generation(config, 1);  // max_length 4
  const LogitsProcessorList processors(config, resolved);
  CHECK_FALSE(processors.empty());
  const std::vector<float> raw{1.0f, 5.0f, -2.0f, 3.0f};
  std::vector<float> scores = raw;
  processors.apply(std::vector<int32_t>{2}, scores);  // after the decoder start: <s> forced
  CHECK(scores == std::vector<float>{0.0f, -kInf, -kInf, -kInf});
  scores = raw;
  processors.apply(std::vector<int32_t>{2, 0}, scores);  // in between: untouched
  CHECK(scores == raw);
  scores = raw;
  processors.apply(std::vector<int32_t>{2, 0, 1}, scores);  // length 3 = max_length − 1: EOS forced
  CHECK(scores == std::vector<float>{-kInf, -kInf, 0.0f, -kInf});
  std::vector<float> small{0.0f};
  CHECK_THROWS(force_token(3, small));
}
