#pragma once
// The decoding loops behind generate() (internal to src/generate/).
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "generate/generate.h"
#include "generate/generation_config.h"
#include "generate/logits_processors.h"
#include "generate/step_model.h"

namespace vkcap::generate {

// `_greedy_search` and `_sample` (one loop; they differ only in how a token is chosen).
std::vector<GeneratedSequence> greedy_or_sample(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                                const GenerationConfig& config, const ResolvedGeneration& resolved);

// `_beam_search` with `BeamSearchScorer`.
std::vector<GeneratedSequence> beam_search(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                           const GenerationConfig& config, const ResolvedGeneration& resolved);

// What one model call brought back: whole logits rows, or (top.k > 0) each row's best few.
struct StepResult {
  std::vector<float> logits;  // [rows, V] when top.k == 0
  TopLogits top;
  bool whole_rows() const { return top.k == 0; }
};
// The largest k the device-side selection offers (kernels::record_topk's limit).
inline constexpr int kMaxTopLogits = 64;
// Calls start()/step() (k == 0) or start_top()/step_top() and checks the result's size.
void call_start(StepModel& model, std::span<const int> images, std::span<const int32_t> prompt, int k,
                StepResult& result);
void call_step(StepModel& model, std::span<const int> parent, std::span<const int32_t> next_token, int k,
               StepResult& result);

// k for the next call over rows with these token histories: `wanted` plus the most tokens a
// row's processors ban, or 0 (whole rows) when the model cannot select on its side, a
// processor needs whole rows, or k would pass kMaxTopLogits or the vocabulary.
int top_k_for(const StepModel& model, const LogitsProcessorList& processors, int wanted,
              std::span<const std::vector<int32_t>* const> histories);

// Throws vkcap::Error unless logits holds rows × V floats.
void check_logits(const std::vector<float>& logits, size_t rows, int vocab_size);

// Draws an index from probabilities that sum to ~1 (inverse CDF with a 53-bit uniform).
// torch.multinomial's role; torch's generator cannot be reproduced, so sampled captions differ
// from PyTorch's while following the same distribution.
int sample_categorical(std::span<const float> probs, std::mt19937_64& rng);

bool is_eos(const GenerationConfig& config, int32_t token);

}  // namespace vkcap::generate
