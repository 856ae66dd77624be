#include "generate/generate.h"

#include <algorithm>
#include <string>

#include "generate/decoding.h"
#include "util/error.h"

namespace vkcap {

void check_logits(const std::vector<float>& logits, size_t rows, int vocab_size) {
  if (logits.size() != rows * static_cast<size_t>(vocab_size))
    throw Error("generation: the model returned " + std::to_string(logits.size()) + " logits, expected " +
                std::to_string(rows) + " rows × " + std::to_string(vocab_size));
}

bool is_eos(const GenerationConfig& config, int32_t token) {
  return std::find(config.eos_token_id.begin(), config.eos_token_id.end(), token) != config.eos_token_id.end();
}

int sample_categorical(std::span<const float> probs, std::mt19937_64& rng) {
  double total = 0.0;
  for (float p : probs) total += p;
  // A uniform double in [0, 1) from the top 53 bits, so the result does not depend on the
  // standard library's distribution classes (whose algorithms differ between vendors).
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  const double target = u * total;
  double cumulative = 0.0;
  int last_possible = -1;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (!(probs[i] > 0.0f)) continue;
    cumulative += probs[i];
    last_possible = static_cast<int>(i);
    if (cumulative > target) return last_possible;
  }
  if (last_possible < 0) throw Error("generation: sampling from a distribution with no positive probability");
  return last_possible;  // rounding left target at the very top
}

std::vector<GeneratedSequence> generate(StepModel& model, std::span<const int32_t> decoder_prompt, int num_images,
                                        const GenerationConfig& config) {
  if (num_images < 1) return {};
  const int prompt_len = static_cast<int>(decoder_prompt.size());
  const ResolvedGeneration resolved = resolve_generation(config, prompt_len);
  // Positions fed: 0 … final_length − 2; HF always generates at least one token.
  const int final_length = std::max(resolved.max_length, prompt_len + 1);
  if (final_length - 1 > model.max_positions())
    throw Error("generation: max_length " + std::to_string(final_length) + " needs " +
                std::to_string(final_length - 1) + " decoder positions, the model has " +
                std::to_string(model.max_positions()));
  const int vocab = model.vocab_size();
  for (int32_t id : decoder_prompt)
    if (id < 0 || id >= vocab)
      throw Error("generation: decoder prompt id " + std::to_string(id) + " is outside the vocabulary of " +
                  std::to_string(vocab));
  for (int32_t id : config.eos_token_id)
    if (id < 0 || id >= vocab)
      throw Error("generation: eos_token_id " + std::to_string(id) + " is outside the vocabulary of " +
                  std::to_string(vocab));
  for (const auto& forced : {config.forced_bos_token_id, config.forced_eos_token_id})
    if (forced && (*forced < 0 || *forced >= vocab))
      throw Error("generation: forced token id " + std::to_string(*forced) + " is outside the vocabulary of " +
                  std::to_string(vocab));
  if (resolved.mode == DecodingMode::kBeamSearch)
    return beam_search(model, decoder_prompt, num_images, config, resolved);
  return greedy_or_sample(model, decoder_prompt, num_images, config, resolved);
}

}  // namespace vkcap
