#pragma once
// Generation settings with Hugging Face's names and defaults (transformers 4.40
// `GenerationConfig`), and the length rules of `_prepare_generated_length`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vkcap::generate {

// HF's `early_stopping` is a bool or the string "never" (BeamHypotheses.is_done):
//   kFalse  stop when the worst kept hypothesis beats best_running / (cur_len - prompt)^lp
//   kTrue   stop as soon as num_beams hypotheses are finished
//   kNever  canonical beam search: stop only when no running beam can still win
enum class EarlyStopping { kFalse, kTrue, kNever };

struct GenerationConfig {
  int max_length = 20;                  // counts the decoder prompt ([DEC] + prompt / start token)
  std::optional<int> max_new_tokens;    // wins over max_length when set
  int min_length = 0;                   // counts the decoder prompt too
  std::optional<int> min_new_tokens;
  int num_beams = 1;
  bool do_sample = false;
  double temperature = 1.0;           // Python floats: kept in double, cast where torch casts
  int top_k = 50;                       // HF default; used only when sampling
  double top_p = 1.0;
  double repetition_penalty = 1.0;
  int no_repeat_ngram_size = 0;
  double length_penalty = 1.0;
  EarlyStopping early_stopping = EarlyStopping::kFalse;
  int num_return_sequences = 1;
  uint64_t seed = 0;                    // sampling only (std::mt19937_64)
  std::vector<int32_t> eos_token_id;    // empty: never stops early (HF allows a list)
  std::optional<int32_t> pad_token_id;  // unset: eos_token_id[0], as HF does (with a warning)
  // ForcedBOSLogitsProcessor: when the sequence holds one token (the decoder start), only this
  // token may follow. ForcedEOSLogitsProcessor: the token at max_length is this one. BART-style
  // models (Florence-2) set both in their config.
  std::optional<int32_t> forced_bos_token_id;
  std::optional<int32_t> forced_eos_token_id;
  bool record_steps = false;            // fill GeneratedSequence::steps
};

// Sets one option by its HF name from text ("max_new_tokens", "12"; "early_stopping", "never";
// "eos_token_id", "5" or "5,7"; booleans as true/false/1/0). For CLIs and for golden tests that
// read HF kwargs. Throws vkcap::Error naming the option and the value.
void set_generation_option(GenerationConfig& config, std::string_view name, std::string_view value);

enum class DecodingMode { kGreedy, kSample, kBeamSearch };

// What the config means once the decoder prompt length is known (`_prepare_generated_length`):
// max_new_tokens → max_length = max_new_tokens + prompt_len; min_new_tokens → min_length =
// min_new_tokens + prompt_len *and* MinNewTokensLengthLogitsProcessor(prompt_len, min_new_tokens).
struct ResolvedGeneration {
  DecodingMode mode = DecodingMode::kGreedy;
  int prompt_len = 0;
  int max_length = 0;
  int min_length = 0;
  int min_new_tokens = 0;   // 0 = processor absent
  int32_t pad_token_id = 0;
};

// Validates the config (HF's own errors: beam sampling unsupported here, num_return_sequences
// vs. mode, temperature > 0, 0 ≤ top_p ≤ 1, …) and resolves lengths. Throws vkcap::Error.
ResolvedGeneration resolve_generation(const GenerationConfig& config, int prompt_len);

std::string to_string(EarlyStopping value);

}  // namespace vkcap::generate
