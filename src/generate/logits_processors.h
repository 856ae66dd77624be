#pragma once
// Hugging Face's logits processors and warpers (transformers 4.40 `logits_process.py`), each on
// one row of scores in float32 as torch computes them. `input_ids` is the row's whole sequence so
// far, decoder prompt included (HF penalises / bans prompt tokens too).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "generate/generation_config.h"

namespace vkcap::generate {

// RepetitionPenaltyLogitsProcessor: for every distinct id in input_ids,
// score < 0 ? score·penalty : score / penalty (float32, applied once per id).
void apply_repetition_penalty(std::span<const int32_t> input_ids, float penalty, std::span<float> scores);

// NoRepeatNGramLogitsProcessor: the last n-1 tokens form a prefix; every token that followed
// the same prefix earlier in input_ids gets −inf. n = 1 bans every token seen so far.
void ban_repeated_ngrams(std::span<const int32_t> input_ids, int ngram_size, std::span<float> scores);
// The ids ban_repeated_ngrams sets to −inf (one entry per earlier occurrence of the prefix).
std::vector<int32_t> repeated_ngram_bans(std::span<const int32_t> input_ids, int ngram_size);

// MinLength / MinNewTokensLength: every EOS id gets −inf.
void ban_eos(std::span<const int32_t> eos_token_id, std::span<float> scores);

// TemperatureLogitsWarper: scores / temperature.
void apply_temperature(float temperature, std::span<float> scores);
// TopKLogitsWarper: k = min(max(top_k, min_tokens_to_keep), V); −inf for every score strictly
// below the k-th largest (ties with it are kept, so more than k may survive).
void apply_top_k(int top_k, int min_tokens_to_keep, std::span<float> scores);
// TopPLogitsWarper: sort ascending (stable: equal scores keep index order, torch's sort does not
// promise one), softmax, cumulative sum (accumulated in double as torch's CPU cumsum does),
// −inf where cumulative ≤ 1 − top_p, always keeping the min_tokens_to_keep largest.
void apply_top_p(double top_p, int min_tokens_to_keep, std::span<float> scores);

// ForcedBOS/ForcedEOSLogitsProcessor: every score −inf except `token`'s, which becomes 0.
void force_token(int32_t token, std::span<float> scores);

// The processors `_get_logits_processor` builds for this config, in HF's order: repetition
// penalty, no-repeat n-gram, min length, min new tokens, forced BOS (at sequence length 1),
// forced EOS (at max_length − 1). Greedy and sampling run them on raw logits, beam search on
// log-probs.
class LogitsProcessorList {
 public:
  LogitsProcessorList(const GenerationConfig& config, const ResolvedGeneration& resolved);
  void apply(std::span<const int32_t> input_ids, std::span<float> scores) const;
  bool empty() const;
  // When every processor that acts on this row only bans tokens (sets them to −inf), the ids it
  // bans (possibly repeated); nothing when one changes scores otherwise (a repetition penalty),
  // and then the whole row is needed.
  std::optional<std::vector<int32_t>> banned_tokens(std::span<const int32_t> input_ids) const;

 private:
  bool bans_eos(std::span<const int32_t> input_ids) const;
  bool forces_bos(std::span<const int32_t> input_ids) const;
  bool forces_eos(std::span<const int32_t> input_ids) const;
  float repetition_penalty_;
  int no_repeat_ngram_size_;
  int min_length_;
  int min_new_tokens_;
  int prompt_len_;
  std::vector<int32_t> eos_token_id_;
  std::optional<int32_t> forced_bos_, forced_eos_;
  int max_length_;
};

// The warpers `_get_logits_warper` builds for sampling, in HF's order: temperature, top-k,
// top-p (min_tokens_to_keep 1; each only when it changes something: temperature ≠ 1,
// top_k ≠ 0, top_p < 1).
class LogitsWarperList {
 public:
  explicit LogitsWarperList(const GenerationConfig& config);
  void apply(std::span<float> scores) const;

 private:
  float temperature_;
  int top_k_;
  double top_p_;
};

// A row's max and Σ exp(x − max) (summed in double): log_softmax's two parts, also what a
// top-k selection carries so that its log-probabilities equal log_softmax's.
struct SoftmaxParts {
  float max;
  double exp_sum;
};
SoftmaxParts softmax_parts(std::span<const float> logits);
// torch.log_softmax in float32: out = (x − max) − log Σ exp(x − max).
void log_softmax(std::span<const float> logits, std::span<float> out);
// torch.softmax in float32: exp(x − max) · (1 / Σ).
void softmax(std::span<const float> logits, std::span<float> out);
// torch.argmax: the first index of the maximum.
int argmax(std::span<const float> scores);

}  // namespace vkcap::generate
