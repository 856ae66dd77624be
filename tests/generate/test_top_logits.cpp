// Greedy and beam search from each row's top-k selection (what the GPU decoder reads back)
// must choose exactly what they choose from whole logits rows, with the same scores — with
// tokens banned by no-repeat n-grams and min lengths, and with whole rows wherever a processor
// needs them (repetition penalty, sampling).
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "fake_step_model.h"
#include "generate/generate.h"

using namespace vkcap;
using namespace vkcap::generate;
using vkcap::test::FakeStepModel;

namespace {

constexpr int kVocab = 97;

// Logits that depend on (image, history) through a hash: peaked enough that the same few
// tokens keep winning (so n-gram bans and EOS matter), random enough to differ per row.
std::vector<float> hashed_logits(int image, const std::vector<int32_t>& history) {
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(image);
  for (int32_t t : history) h = (h ^ static_cast<uint64_t>(t)) * 1099511628211ull;
  std::mt19937_64 rng(h);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::vector<float> row(kVocab);
  for (int i = 0; i < kVocab; ++i) row[static_cast<size_t>(i)] = noise(rng) + (i < 6 ? 3.0f : 0.0f);
  return row;
}

std::vector<GeneratedSequence> run(const GenerationConfig& config, bool selects_top, int* top_calls = nullptr,
                                   int* whole_calls = nullptr) {
  FakeStepModel model(kVocab, hashed_logits, 64);
  model.selects_top = selects_top;
  const std::vector<int32_t> prompt{0, 7};
  auto out = generate::generate(model, prompt, 3, config);
  if (top_calls) *top_calls = model.top_calls;
  if (whole_calls) *whole_calls = model.whole_row_calls;
  return out;
}

void check_same(const std::vector<GeneratedSequence>& a, const std::vector<GeneratedSequence>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].tokens == b[i].tokens);
    CHECK(a[i].finish_reason == b[i].finish_reason);
    CHECK(std::abs(a[i].score - b[i].score) <= 1e-6f);
    REQUIRE(a[i].steps.size() == b[i].steps.size());
    for (size_t s = 0; s < a[i].steps.size(); ++s) CHECK(std::abs(a[i].steps[s].logprob - b[i].steps[s].logprob) <= 1e-6f);
  }
}

GenerationConfig base_config() {
  GenerationConfig c;
  c.max_new_tokens = 24;
  c.eos_token_id = {1};
  c.record_steps = true;
  return c;
}

}  // namespace

TEST_CASE("greedy and beam search choose the same tokens from top-k selections as from whole rows") {
  for (int beams : {1, 3, 4})
    for (int ngram : {0, 1, 2, 3})
      for (int min_new : {0, 10}) {
        GenerationConfig c = base_config();
        c.num_beams = beams;
        c.no_repeat_ngram_size = ngram;
        if (min_new) c.min_new_tokens = min_new;
        c.early_stopping = beams == 4 ? EarlyStopping::kTrue : EarlyStopping::kFalse;
        CAPTURE(beams);
        CAPTURE(ngram);
        CAPTURE(min_new);
        int top_calls = 0, whole_calls = 0;
        const auto selected = run(c, true, &top_calls, &whole_calls);
        check_same(selected, run(c, false));
        // n = 1 bans every token seen so far: from some step on that is more than a selection
        // holds, and those steps read whole rows.
        CHECK(top_calls > 0);
        if (ngram != 1) CHECK(whole_calls == 0);
      }
}

TEST_CASE("a repetition penalty or sampling reads whole rows") {
  GenerationConfig c = base_config();
  c.repetition_penalty = 1.3;
  int top_calls = -1, whole_calls = 0;
  check_same(run(c, true, &top_calls, &whole_calls), run(c, false));
  CHECK(top_calls == 0);
  CHECK(whole_calls > 0);

  GenerationConfig s = base_config();
  s.do_sample = true;
  s.seed = 5;
  check_same(run(s, true, &top_calls, &whole_calls), run(s, false));
  CHECK(top_calls == 0);
}

TEST_CASE("top_logits_of: descending, ties by lower id, and the log-softmax parts of the whole row") {
  const std::vector<float> logits{1.0f, 3.0f, 3.0f, -INFINITY, 0.5f, 2.0f};
  const TopLogits top = top_logits_of(logits, 1, 6, 4);
  CHECK(top.ids == std::vector<int32_t>{1, 2, 5, 0});
  CHECK(top.row_max[0] == 3.0f);
  double sum = 0;
  for (float x : logits) sum += std::exp(double(x) - 3.0);
  CHECK(std::abs(top.row_exp_sum[0] - sum) < 1e-6);
  CHECK(std::abs(top.log_prob(0, 2) - float(2.0 - 3.0 - std::log(sum))) < 1e-6f);
}
