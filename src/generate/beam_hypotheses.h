#pragma once
// HF `BeamHypotheses` (generation/beam_search.py): the n best finished hypotheses of one image.
// Scores are Python floats there (`next_score.item()`, `final_beam_scores[i].item()`), so they
// are doubles here: score = sum_logprobs / generated_len ** length_penalty.
#include <cstdint>
#include <vector>

#include "generate/generate.h"
#include "generate/generation_config.h"

namespace vkcap::generate {

struct BeamHypothesis {
  double score = 0.0;
  std::vector<int32_t> tokens;       // decoder prompt + generated tokens, without the EOS
  std::vector<GeneratedStep> steps;  // including the EOS step when it ended with EOS
  bool ended_with_eos = false;
};

class BeamHypotheses {
 public:
  BeamHypotheses(int num_beams, double length_penalty, EarlyStopping early_stopping, int max_length);

  int size() const { return static_cast<int>(beams_.size()); }
  double worst_score() const { return worst_score_; }

  // Keeps the hypothesis if fewer than num_beams are kept or it beats the worst; then drops the
  // worst (on equal scores the earliest added goes, as Python's sort of (score, index) does).
  void add(BeamHypothesis hypothesis, double sum_logprobs, int generated_len);

  // Can no running beam beat the kept ones any more? best_sum_logprobs is the best candidate
  // score of this step, cur_len the length including the candidate token.
  bool is_done(double best_sum_logprobs, int cur_len, int decoder_prompt_len) const;

  // The `count` best, best first (`sorted(..., key=score)` then pop(): among equal scores the
  // one added last comes first).
  std::vector<BeamHypothesis> best(int count) const;

 private:
  int num_beams_;
  double length_penalty_;
  EarlyStopping early_stopping_;
  int max_length_;
  std::vector<BeamHypothesis> beams_;
  double worst_score_ = 1e9;
};

}  // namespace vkcap::generate
