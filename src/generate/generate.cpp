#include "generate/generate.h"

#include <algorithm>
#include <string>

#include "generate/decoding.h"
#include "util/error.h"

namespace vkcap::generate {

void check_logits(const std::vector<float>& logits, size_t rows, int vocab_size) {
  if (logits.size() != rows * static_cast<size_t>(vocab_size))
    throw Error("generation: the model returned " + std::to_string(logits.size()) + " logits, expected " +
                std::to_string(rows) + " rows × " + std::to_string(vocab_size));
}

namespace {

void check_top(const TopLogits& top, size_t rows, int k) {
  const size_t n = rows * static_cast<size_t>(k);
  if (top.k != k || top.ids.size() != n || top.logits.size() != n || top.row_max.size() != rows ||
      top.row_exp_sum.size() != rows)
    throw Error("generation: the model returned a top-" + std::to_string(top.k) + " selection of the wrong size, " +
                "expected " + std::to_string(rows) + " rows × " + std::to_string(k));
}

}  // namespace

void call_start(StepModel& model, std::span<const int> images, std::span<const int32_t> prompt, int k,
                StepResult& result) {
  result.top = {};
  if (k == 0) {
    model.start(images, prompt, result.logits);
    check_logits(result.logits, images.size(), model.vocab_size());
  } else {
    model.start_top(images, prompt, k, result.top);
    check_top(result.top, images.size(), k);
  }
}

void call_step(StepModel& model, std::span<const int> parent, std::span<const int32_t> next_token, int k,
               StepResult& result) {
  result.top = {};
  if (k == 0) {
    model.step(parent, next_token, result.logits);
    check_logits(result.logits, parent.size(), model.vocab_size());
  } else {
    model.step_top(parent, next_token, k, result.top);
    check_top(result.top, parent.size(), k);
  }
}

int top_k_for(const StepModel& model, const LogitsProcessorList& processors, int wanted,
              std::span<const std::vector<int32_t>* const> histories) {
  if (!model.selects_top_logits()) return 0;
  size_t most_banned = 0;
  for (const std::vector<int32_t>* history : histories) {
    const auto banned = processors.banned_tokens(*history);
    if (!banned) return 0;
    most_banned = std::max(most_banned, banned->size());
  }
  const size_t k = static_cast<size_t>(wanted) + most_banned;
  return k <= static_cast<size_t>(std::min(kMaxTopLogits, model.vocab_size())) ? static_cast<int>(k) : 0;
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

}  // namespace vkcap::generate
