// Beam search on hand-made tables; every expected value below is worked out in the comments.
// Token ids: 0 start, 1 EOS, 2 a, 3 b, 4 c, 5 d. Two beams, so 4 candidates per step.
#include <doctest/doctest.h>

#include <cmath>

#include "fake_step_model.h"
#include "generate/beam_hypotheses.h"
#include "generate/generate.h"

using namespace vkcap;
using namespace vkcap::generate;
using vkcap::test::FakeStepModel;
using vkcap::test::logits_from_probs;

namespace {

constexpr int kVocab = 6;
const std::vector<int32_t> kPrompt{0};
using H = std::vector<int32_t>;

// Scenario A.
//  step 1: [0] → a .5, b .3, c .15, EOS .05       beams 0a (.5), 0b (.3); EOS ranks 3 (never reached)
//  step 2: 0a+EOS .30 (rank 0 → hypothesis 0a, score ln .3 / 2 = −0.602), 0bc .27, 0ac .10 → beams
//  step 3: 0bca .189 (beam), 0bc+EOS .054 (rank 1 → hypothesis, ln .054 / 3 = −0.973),
//          0ac+EOS .05 (rank 2 ≥ num_beams → skipped), 0aca .03 (beam)
//  max_new_tokens 3: stop; finalize adds 0bca (ln .189 / 3 = −0.555) and 0aca (ln .03 / 3 = −1.169).
std::vector<float> scenario_a(int, const H& h) {
  if (h == H{0}) return logits_from_probs(kVocab, {{2, 0.5}, {3, 0.3}, {4, 0.15}, {1, 0.05}});
  if (h == H{0, 2}) return logits_from_probs(kVocab, {{1, 0.6}, {4, 0.2}, {2, 0.12}, {3, 0.08}});
  if (h == H{0, 3}) return logits_from_probs(kVocab, {{4, 0.9}, {1, 0.04}, {2, 0.035}, {3, 0.025}});
  if (h == H{0, 3, 4}) return logits_from_probs(kVocab, {{2, 0.7}, {1, 0.2}, {3, 0.06}, {4, 0.04}});
  if (h == H{0, 2, 4}) return logits_from_probs(kVocab, {{1, 0.5}, {2, 0.3}, {3, 0.12}, {4, 0.08}});
  return logits_from_probs(kVocab, {{2, 0.4}, {3, 0.3}, {4, 0.2}, {1, 0.1}});
}

// Scenario B (the early_stopping=False heuristic stops before max_length).
//  step 1: [0] → a .5 (beam), EOS .3 (rank 1 → hypothesis [0], ln .3 / 1 = −1.204), b .15 (beam)
//  step 2: 0a+EOS .45 (rank 0 → hypothesis 0a, ln .45 / 2 = −0.399), 0ba .06, 0bb .0405 → beams
//  step 3: 0baa .024, 0bab .018 → beams; best candidate ln .024 / 3 = −1.243 ≤ worst kept −1.204 → done
std::vector<float> scenario_b(int, const H& h) {
  if (h == H{0}) return logits_from_probs(kVocab, {{2, 0.5}, {1, 0.3}, {3, 0.15}, {4, 0.05}});
  if (h == H{0, 2}) return logits_from_probs(kVocab, {{1, 0.9}, {2, 0.05}, {3, 0.03}, {4, 0.02}});
  if (h == H{0, 3}) return logits_from_probs(kVocab, {{2, 0.4}, {3, 0.27}, {4, 0.23}, {1, 0.1}});
  return logits_from_probs(kVocab, {{2, 0.4}, {3, 0.3}, {4, 0.2}, {1, 0.1}});
}

// Scenario E (an EOS candidate ranked ≥ num_beams must not become a hypothesis).
//  step 1: [0] → a .5, b .4, EOS .1
//  step 2: 0b+EOS .36 (rank 0 → hypothesis, ln .36 / 2 = −0.511), 0ac .30 (beam),
//          0a+EOS .20 (rank 2 → skipped; were it kept, early_stopping=True would stop here), 0bc .04
//  step 3: 0acd .285, 0bcd .024 → beams; max_length: finalize 0acd ln .285 / 3 = −0.418 wins.
std::vector<float> scenario_e(int, const H& h) {
  if (h == H{0}) return logits_from_probs(kVocab, {{2, 0.5}, {3, 0.4}, {1, 0.1}});
  if (h == H{0, 2}) return logits_from_probs(kVocab, {{4, 0.6}, {1, 0.4}});
  if (h == H{0, 3}) return logits_from_probs(kVocab, {{1, 0.9}, {4, 0.1}});
  if (h == H{0, 2, 4}) return logits_from_probs(kVocab, {{5, 0.95}, {1, 0.05}});
  if (h == H{0, 3, 4}) return logits_from_probs(kVocab, {{5, 0.6}, {1, 0.4}});
  return logits_from_probs(kVocab, {{2, 0.4}, {3, 0.3}, {4, 0.2}, {1, 0.1}});
}

GenerationConfig beam_config(int max_new_tokens) {
  GenerationConfig config;
  config.num_beams = 2;
  config.max_new_tokens = max_new_tokens;
  config.eos_token_id = {1};
  config.pad_token_id = 0;
  return config;
}

}  // namespace

TEST_CASE("beam search: running beams added at finalize can win (scenario A)") {
  FakeStepModel model(kVocab, scenario_a);
  auto out = generate::generate(model, kPrompt, 1, beam_config(3));
  REQUIRE(out.size() == 1);
  CHECK(out[0].tokens == H{0, 3, 4, 2});  // max_length reached: no EOS appended
  CHECK(out[0].finish_reason == "length");
  CHECK(out[0].score == doctest::Approx(std::log(0.189) / 3).epsilon(1e-5));
}

TEST_CASE("beam search hands the model HF's beam_idx as parent") {
  FakeStepModel model(kVocab, scenario_a);
  generate::generate(model, kPrompt, 1, beam_config(3));
  CHECK(model.started_images == std::vector<int>{0});  // the prompt runs once per image
  REQUIRE(model.steps.size() == 2);                   // the last token is never fed
  CHECK(model.steps[0].parent == std::vector<int>{0, 0});  // both beams grow from the prompt row
  CHECK(model.steps[0].next_token == H{2, 3});
  CHECK(model.steps[1].parent == std::vector<int>{1, 0});  // 0bc continues old row 1 (0b), 0ac row 0
  CHECK(model.steps[1].next_token == H{4, 4});
}

TEST_CASE("length_penalty changes the winner") {
  FakeStepModel model(kVocab, scenario_a);
  auto config = beam_config(3);
  config.length_penalty = 0.0;  // plain sums: 0a+EOS ln .3 = −1.204 beats 0bca ln .189 = −1.666
  auto out = generate::generate(model, kPrompt, 1, config);
  CHECK(out[0].tokens == H{0, 2, 1});  // the hypothesis plus the EOS it ended with
  CHECK(out[0].finish_reason == "eos");
  CHECK(out[0].score == doctest::Approx(std::log(0.3)).epsilon(1e-5));
}

TEST_CASE("early_stopping=True stops once num_beams hypotheses exist and ignores running beams") {
  FakeStepModel model(kVocab, scenario_a);
  auto config = beam_config(3);
  config.early_stopping = EarlyStopping::kTrue;
  auto out = generate::generate(model, kPrompt, 1, config);
  // Done at step 3 with 0a (−0.602) and 0bc (−0.973); 0bca (−0.555) is never considered.
  CHECK(out[0].tokens == H{0, 2, 1});
  CHECK(out[0].score == doctest::Approx(std::log(0.3) / 2).epsilon(1e-5));
}

TEST_CASE("num_return_sequences returns the best hypotheses in order") {
  FakeStepModel model(kVocab, scenario_a);
  auto config = beam_config(3);
  config.num_return_sequences = 2;
  auto out = generate::generate(model, kPrompt, 1, config);
  REQUIRE(out.size() == 2);
  CHECK(out[0].tokens == H{0, 3, 4, 2});
  CHECK(out[1].tokens == H{0, 2, 1});
  CHECK(out[1].score == doctest::Approx(std::log(0.3) / 2).epsilon(1e-5));
}

TEST_CASE("early_stopping=False stops when no running beam can beat the kept hypotheses (scenario B)") {
  FakeStepModel model(kVocab, scenario_b);
  auto out = generate::generate(model, kPrompt, 1, beam_config(9));
  CHECK(out[0].tokens == H{0, 2, 1});
  CHECK(out[0].finish_reason == "eos");
  CHECK(out[0].score == doctest::Approx(std::log(0.45) / 2).epsilon(1e-5));
  CHECK(model.steps.size() == 2);  // done after step 3 of 9

  SUBCASE("early_stopping=True is done after step 2") {
    FakeStepModel m(kVocab, scenario_b);
    auto config = beam_config(9);
    config.early_stopping = EarlyStopping::kTrue;
    CHECK(generate::generate(m, kPrompt, 1, config)[0].tokens == H{0, 2, 1});
    CHECK(m.steps.size() == 1);
  }
  SUBCASE("early_stopping=never runs to max_length (best bound uses max_length) with the same winner") {
    FakeStepModel m(kVocab, scenario_b);
    auto config = beam_config(9);
    config.early_stopping = EarlyStopping::kNever;
    CHECK(generate::generate(m, kPrompt, 1, config)[0].tokens == H{0, 2, 1});
    CHECK(m.steps.size() == 8);
  }
}

TEST_CASE("an EOS candidate ranked at or below num_beams is skipped (scenario E)") {
  for (EarlyStopping early : {EarlyStopping::kFalse, EarlyStopping::kTrue}) {
    FakeStepModel model(kVocab, scenario_e);
    auto config = beam_config(3);
    config.early_stopping = early;
    auto out = generate::generate(model, kPrompt, 1, config);
    CHECK(out[0].tokens == H{0, 2, 4, 5});
    CHECK(out[0].score == doctest::Approx(std::log(0.285) / 3).epsilon(1e-5));
  }
}

TEST_CASE("recorded beam steps are the log-probs summed into the score") {
  FakeStepModel model(kVocab, scenario_b);
  auto config = beam_config(9);
  config.record_steps = true;
  auto out = generate::generate(model, kPrompt, 1, config);
  REQUIRE(out[0].steps.size() == 2);
  CHECK(out[0].steps[0].token == 2);
  CHECK(out[0].steps[1].token == 1);
  CHECK(out[0].steps[0].logprob + out[0].steps[1].logprob == doctest::Approx(std::log(0.45)).epsilon(1e-5));
}

TEST_CASE("a batch of images gives each image the result it gets alone") {
  auto table = [](int image, const H& h) { return image == 0 ? scenario_a(0, h) : scenario_b(0, h); };
  for (int max_new : {3, 9}) {
    FakeStepModel batch(kVocab, table);
    auto together = generate::generate(batch, kPrompt, 2, beam_config(max_new));
    REQUIRE(together.size() == 2);
    for (int image = 0; image < 2; ++image) {
      FakeStepModel alone(kVocab, table);
      alone.table_images = {image};
      auto single = generate::generate(alone, kPrompt, 1, beam_config(max_new));
      CHECK(together[static_cast<size_t>(image)].image == image);
      CHECK(together[static_cast<size_t>(image)].tokens == single[0].tokens);
      CHECK(together[static_cast<size_t>(image)].score == single[0].score);
    }
  }
}

TEST_CASE("BeamHypotheses keeps the n best and applies the done rule of each early_stopping mode") {
  BeamHypotheses hyps(2, 1.0, EarlyStopping::kFalse, 10);
  hyps.add({0.0, {0, 2}, {}, true}, -2.0, 2);  // −1.0
  CHECK(hyps.worst_score() == -1.0);
  CHECK_FALSE(hyps.is_done(-100.0, 3, 1));  // fewer than num_beams kept
  hyps.add({0.0, {0, 3, 3}, {}, true}, -1.5, 3);  // −0.5
  hyps.add({0.0, {0, 4}, {}, true}, -1.6, 2);     // −0.8 evicts −1.0
  CHECK(hyps.size() == 2);
  CHECK(hyps.worst_score() == -0.8);
  hyps.add({0.0, {0, 5}, {}, true}, -1.8, 2);  // −0.9 < worst: ignored
  CHECK(hyps.best(2)[0].tokens == H{0, 3, 3});
  CHECK(hyps.best(2)[1].tokens == H{0, 4});
  // False: best running −2.0 at cur_len 3 → −1.0 ≤ −0.8 → done; −1.0 at cur_len 3 → −0.5 → not done.
  CHECK(hyps.is_done(-2.0, 3, 1));
  CHECK_FALSE(hyps.is_done(-1.0, 3, 1));
  // never (length_penalty > 0): bound uses max_length 10 → −2.0 / 9 = −0.22 > −0.8 → not done.
  BeamHypotheses never(2, 1.0, EarlyStopping::kNever, 10);
  never.add({0.0, {0, 3, 3}, {}, true}, -1.5, 3);
  never.add({0.0, {0, 4}, {}, true}, -1.6, 2);
  CHECK_FALSE(never.is_done(-2.0, 3, 1));
  CHECK(never.is_done(-9.0, 3, 1));
}

TEST_CASE("beam search with forced BOS and EOS (BART, Florence-2): [start, bos, …, eos] at max_length") {
  // Scenario A's table, with `a` forced first and EOS forced at max_length 4: step 1 keeps only
  // 0a (the other beams start at −1e9); step 2 from 0a: EOS .6 (hypothesis 0a, ln .6 / 2),
  // c .2, a .12 → beams 0ac, 0aa; step 3 forces EOS on both: 0ac+EOS (ln .2 / 3 = −0.536) and
  // 0aa+EOS (ln .12 / 3 = −0.707); 0a's −0.255 wins and gets its EOS back.
  FakeStepModel model(kVocab, scenario_a);
  GenerationConfig config = beam_config(3);
  config.forced_bos_token_id = 2;
  config.forced_eos_token_id = 1;
  const auto out = generate::generate(model, kPrompt, 1, config);
  REQUIRE(out.size() == 1);
  CHECK(out[0].tokens == H{0, 2, 1});
  CHECK(out[0].score == doctest::Approx(std::log(0.6) / 2).epsilon(1e-5));
  // Without an early EOS the forced one ends every beam at max_length.
  FakeStepModel never_eos(kVocab, [](int, const H&) { return logits_from_probs(kVocab, {{3, 0.7}, {4, 0.3}}); });
  const auto forced = generate::generate(never_eos, kPrompt, 1, config);
  CHECK(forced[0].tokens.size() == 4);
  CHECK(forced[0].tokens[1] == 2);
  CHECK(forced[0].tokens.back() == 1);
  CHECK(forced[0].finish_reason == "eos");
}
