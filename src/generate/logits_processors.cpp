#include "generate/logits_processors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "util/error.h"

namespace vkcap::generate {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

void check_id(int32_t id, size_t vocab, const char* what) {
  if (id < 0 || static_cast<size_t>(id) >= vocab)
    throw Error(std::string("generation: ") + what + " id " + std::to_string(id) + " is outside the vocabulary of " +
                std::to_string(vocab));
}

}  // namespace

void apply_repetition_penalty(std::span<const int32_t> input_ids, float penalty, std::span<float> scores) {
  // torch: gather, where(score < 0, score * p, score / p), scatter — so a repeated id is
  // penalised once, from its original score.
  std::vector<int32_t> ids(input_ids.begin(), input_ids.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int32_t id : ids) {
    check_id(id, scores.size(), "repetition penalty: input");
    float& s = scores[static_cast<size_t>(id)];
    s = s < 0.0f ? s * penalty : s / penalty;
  }
}

std::vector<int32_t> repeated_ngram_bans(std::span<const int32_t> input_ids, int ngram_size) {
  // `_calc_banned_ngram_tokens`: nothing before cur_len + 1 ≥ n; the prefix is
  // input_ids[cur_len + 1 − n : cur_len].
  const int n = ngram_size;
  const int cur_len = static_cast<int>(input_ids.size());
  std::vector<int32_t> banned;
  if (n <= 0 || cur_len + 1 < n) return banned;
  auto prefix = input_ids.subspan(static_cast<size_t>(cur_len + 1 - n));
  for (int start = 0; start + n <= cur_len; ++start) {
    auto earlier = input_ids.subspan(static_cast<size_t>(start), static_cast<size_t>(n - 1));
    if (std::equal(earlier.begin(), earlier.end(), prefix.begin()))
      banned.push_back(input_ids[static_cast<size_t>(start + n - 1)]);
  }
  return banned;
}

void ban_repeated_ngrams(std::span<const int32_t> input_ids, int ngram_size, std::span<float> scores) {
  for (int32_t banned : repeated_ngram_bans(input_ids, ngram_size)) {
    check_id(banned, scores.size(), "no-repeat n-gram: input");
    scores[static_cast<size_t>(banned)] = kMinusInf;
  }
}

void ban_eos(std::span<const int32_t> eos_token_id, std::span<float> scores) {
  for (int32_t id : eos_token_id) {
    check_id(id, scores.size(), "eos_token_id");
    scores[static_cast<size_t>(id)] = kMinusInf;
  }
}

void apply_temperature(float temperature, std::span<float> scores) {
  for (float& s : scores) s = s / temperature;
}

void apply_top_k(int top_k, int min_tokens_to_keep, std::span<float> scores) {
  const size_t k = std::min(static_cast<size_t>(std::max(top_k, min_tokens_to_keep)), scores.size());
  if (k == 0 || k >= scores.size()) return;  // torch keeps everything when k = V
  std::vector<float> sorted(scores.begin(), scores.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k - 1), sorted.end(),
                   std::greater<float>());
  const float kth = sorted[k - 1];
  for (float& s : scores)
    if (s < kth) s = kMinusInf;
}

void apply_top_p(double top_p, int min_tokens_to_keep, std::span<float> scores) {
  const size_t n = scores.size();
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] < scores[b]; });
  std::vector<float> sorted(n), probs(n);
  for (size_t i = 0; i < n; ++i) sorted[i] = scores[static_cast<size_t>(order[i])];
  softmax(sorted, probs);
  // `cumulative_probs <= (1 - top_p)`: 1 − top_p is a Python double, compared as float32.
  const float threshold = static_cast<float>(1.0 - top_p);
  const size_t keep_from = n - std::min(n, static_cast<size_t>(std::max(min_tokens_to_keep, 0)));
  double cumulative = 0.0;
  std::vector<char> remove(n, 0);
  for (size_t i = 0; i < n; ++i) {
    cumulative += probs[i];
    remove[i] = static_cast<float>(cumulative) <= threshold && i < keep_from;
  }
  for (size_t i = 0; i < n; ++i)
    if (remove[i]) scores[static_cast<size_t>(order[i])] = kMinusInf;
}

LogitsProcessorList::LogitsProcessorList(const GenerationConfig& config, const ResolvedGeneration& resolved)
    : repetition_penalty_(static_cast<float>(config.repetition_penalty)),  // torch casts to float32
      no_repeat_ngram_size_(config.no_repeat_ngram_size),
      min_length_(resolved.min_length),
      min_new_tokens_(resolved.min_new_tokens),
      prompt_len_(resolved.prompt_len),
      eos_token_id_(config.eos_token_id),
      forced_bos_(config.forced_bos_token_id),
      forced_eos_(config.forced_eos_token_id),
      max_length_(resolved.max_length) {}

bool LogitsProcessorList::empty() const {
  return repetition_penalty_ == 1.0f && no_repeat_ngram_size_ <= 0 &&
         (eos_token_id_.empty() || (min_length_ <= 0 && min_new_tokens_ <= 0)) && !forced_bos_ && !forced_eos_;
}

void force_token(int32_t token, std::span<float> scores) {
  check_id(token, scores.size(), "forced token");
  std::fill(scores.begin(), scores.end(), kMinusInf);
  scores[static_cast<size_t>(token)] = 0.0f;
}

void LogitsProcessorList::apply(std::span<const int32_t> input_ids, std::span<float> scores) const {
  if (repetition_penalty_ != 1.0f) apply_repetition_penalty(input_ids, repetition_penalty_, scores);
  if (no_repeat_ngram_size_ > 0) ban_repeated_ngrams(input_ids, no_repeat_ngram_size_, scores);
  if (bans_eos(input_ids)) ban_eos(eos_token_id_, scores);
  if (forces_bos(input_ids)) force_token(*forced_bos_, scores);
  if (forces_eos(input_ids)) force_token(*forced_eos_, scores);
}

bool LogitsProcessorList::bans_eos(std::span<const int32_t> input_ids) const {
  const int cur_len = static_cast<int>(input_ids.size());
  if (eos_token_id_.empty()) return false;
  return (min_length_ > 0 && cur_len < min_length_) || (min_new_tokens_ > 0 && cur_len - prompt_len_ < min_new_tokens_);
}

bool LogitsProcessorList::forces_bos(std::span<const int32_t> input_ids) const {
  return forced_bos_ && input_ids.size() == 1;
}

bool LogitsProcessorList::forces_eos(std::span<const int32_t> input_ids) const {
  return forced_eos_ && static_cast<int>(input_ids.size()) == max_length_ - 1;
}

std::optional<std::vector<int32_t>> LogitsProcessorList::banned_tokens(std::span<const int32_t> input_ids) const {
  // A forced token scores 0 whatever its logit: the step needs the row (it is one step a caption).
  if (repetition_penalty_ != 1.0f || forces_bos(input_ids) || forces_eos(input_ids)) return std::nullopt;
  std::vector<int32_t> banned = repeated_ngram_bans(input_ids, no_repeat_ngram_size_);
  if (bans_eos(input_ids)) banned.insert(banned.end(), eos_token_id_.begin(), eos_token_id_.end());
  return banned;
}

LogitsWarperList::LogitsWarperList(const GenerationConfig& config)
    : temperature_(static_cast<float>(config.temperature)), top_k_(config.top_k), top_p_(config.top_p) {}

void LogitsWarperList::apply(std::span<float> scores) const {
  constexpr int kMinTokensToKeep = 1;  // num_beams == 1
  if (temperature_ != 1.0f) apply_temperature(temperature_, scores);
  if (top_k_ != 0) apply_top_k(top_k_, kMinTokensToKeep, scores);
  if (top_p_ < 1.0) apply_top_p(top_p_, kMinTokensToKeep, scores);
}

SoftmaxParts softmax_parts(std::span<const float> logits) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;  // torch sums float32 lanes; a double sum is the same value to ≤ 1 ulp
  for (float x : logits) sum += std::exp(x - max);
  return {max, sum};
}

void log_softmax(std::span<const float> logits, std::span<float> out) {
  const auto [max, sum] = softmax_parts(logits);
  const float log_sum = static_cast<float>(std::log(sum));
  // The order (x − max) − log_sum is torch's (SoftMaxKernel.cpp keeps it on purpose).
  for (size_t i = 0; i < logits.size(); ++i) out[i] = (logits[i] - max) - log_sum;
}

void softmax(std::span<const float> logits, std::span<float> out) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = std::exp(logits[i] - max);
    sum += out[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (float& p : out) p *= inv;
}

int argmax(std::span<const float> scores) {
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

}  // namespace vkcap::generate
