#pragma once
// The decoding loops behind generate() (internal to src/generate/).
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "generate/generate.h"
#include "generate/generation_config.h"
#include "generate/step_model.h"

namespace vkcap {

// `_greedy_search` and `_sample` (one loop; they differ only in how a token is chosen).
std::vector<GeneratedSequence> greedy_or_sample(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                                const GenerationConfig& config, const ResolvedGeneration& resolved);

// `_beam_search` with `BeamSearchScorer`.
std::vector<GeneratedSequence> beam_search(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                           const GenerationConfig& config, const ResolvedGeneration& resolved);

// Throws vkcap::Error unless logits holds rows × V floats.
void check_logits(const std::vector<float>& logits, size_t rows, int vocab_size);

// Draws an index from probabilities that sum to ~1 (inverse CDF with a 53-bit uniform).
// torch.multinomial's role; torch's generator cannot be reproduced, so sampled captions differ
// from PyTorch's while following the same distribution.
int sample_categorical(std::span<const float> probs, std::mt19937_64& rng);

bool is_eos(const GenerationConfig& config, int32_t token);

}  // namespace vkcap
