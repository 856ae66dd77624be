#include "generate/beam_hypotheses.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "util/error.h"

namespace vkcap::generate {

BeamHypotheses::BeamHypotheses(int num_beams, double length_penalty, EarlyStopping early_stopping, int max_length)
    : num_beams_(num_beams), length_penalty_(length_penalty), early_stopping_(early_stopping), max_length_(max_length) {}

void BeamHypotheses::add(BeamHypothesis hypothesis, double sum_logprobs, int generated_len) {
  // Python: generated_len ** length_penalty is C pow() on doubles.
  const double score = sum_logprobs / std::pow(static_cast<double>(generated_len), length_penalty_);
  if (size() < num_beams_ || score > worst_score_) {
    hypothesis.score = score;
    beams_.push_back(std::move(hypothesis));
    if (size() > num_beams_) {
      // sorted([(s, idx) ...]): ascending score, ties by index → a stable sort of indices.
      std::vector<int> order(beams_.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return beams_[a].score < beams_[b].score; });
      worst_score_ = beams_[static_cast<size_t>(order[1])].score;
      beams_.erase(beams_.begin() + order[0]);
    } else {
      worst_score_ = std::min(score, worst_score_);
    }
  }
}

bool BeamHypotheses::is_done(double best_sum_logprobs, int cur_len, int decoder_prompt_len) const {
  if (size() < num_beams_) return false;
  if (early_stopping_ == EarlyStopping::kTrue) return true;
  // kFalse: HF's heuristic — the best running beam if it stopped now. kNever: with a positive
  // length penalty the best it could still reach is at max_length; otherwise at cur_len.
  int length = cur_len - decoder_prompt_len;
  if (early_stopping_ == EarlyStopping::kNever && length_penalty_ > 0.0) {
    if (max_length_ <= decoder_prompt_len)
      throw Error("beam search: max_length " + std::to_string(max_length_) +
                  " is not larger than the decoder prompt length " + std::to_string(decoder_prompt_len));
    length = max_length_ - decoder_prompt_len;
  }
  const double highest_attainable_score = best_sum_logprobs / std::pow(static_cast<double>(length), length_penalty_);
  return worst_score_ >= highest_attainable_score;
}

std::vector<BeamHypothesis> BeamHypotheses::best(int count) const {
  std::vector<int> order(beams_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return beams_[a].score < beams_[b].score; });
  std::vector<BeamHypothesis> out;
  for (auto it = order.rbegin(); it != order.rend() && static_cast<int>(out.size()) < count; ++it)
    out.push_back(beams_[static_cast<size_t>(*it)]);
  return out;
}

}  // namespace vkcap::generate
