#include "generate/generation_config.h"

#include <charconv>
#include <cmath>

#include "util/error.h"

namespace vkcap::generate {
namespace {

[[noreturn]] void bad_option(std::string_view name, std::string_view value, std::string_view why) {
  throw Error("generation option '" + std::string(name) + "' = '" + std::string(value) + "': " +
              std::string(why));
}

int64_t parse_int(std::string_view name, std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) bad_option(name, text, "not an integer");
  return value;
}

double parse_float(std::string_view name, std::string_view text) {
  // std::from_chars for floating point is available in libstdc++ ≥ 11.
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    bad_option(name, text, "not a finite number");
  return value;
}

bool parse_bool(std::string_view name, std::string_view text) {
  if (text == "true" || text == "True" || text == "1") return true;
  if (text == "false" || text == "False" || text == "0") return false;
  bad_option(name, text, "expected true or false");
}

int parse_count(std::string_view name, std::string_view text) {
  int64_t v = parse_int(name, text);
  if (v < 0 || v > (1 << 24)) bad_option(name, text, "expected a count ≥ 0");
  return static_cast<int>(v);
}

}  // namespace

std::string to_string(EarlyStopping value) {
  switch (value) {
    case EarlyStopping::kFalse: return "false";
    case EarlyStopping::kTrue: return "true";
    case EarlyStopping::kNever: return "never";
  }
  return "?";
}

void set_generation_option(GenerationConfig& c, std::string_view name, std::string_view value) {
  if (name == "max_length") c.max_length = parse_count(name, value);
  else if (name == "max_new_tokens") c.max_new_tokens = parse_count(name, value);
  else if (name == "min_length") c.min_length = parse_count(name, value);
  else if (name == "min_new_tokens") c.min_new_tokens = parse_count(name, value);
  else if (name == "num_beams") c.num_beams = parse_count(name, value);
  else if (name == "do_sample") c.do_sample = parse_bool(name, value);
  else if (name == "temperature") c.temperature = parse_float(name, value);
  else if (name == "top_k") c.top_k = parse_count(name, value);
  else if (name == "top_p") c.top_p = parse_float(name, value);
  else if (name == "repetition_penalty") c.repetition_penalty = parse_float(name, value);
  else if (name == "no_repeat_ngram_size") c.no_repeat_ngram_size = parse_count(name, value);
  else if (name == "length_penalty") c.length_penalty = parse_float(name, value);
  else if (name == "num_return_sequences") c.num_return_sequences = parse_count(name, value);
  else if (name == "seed") c.seed = static_cast<uint64_t>(parse_int(name, value));
  else if (name == "pad_token_id") c.pad_token_id = static_cast<int32_t>(parse_int(name, value));
  else if (name == "forced_bos_token_id") c.forced_bos_token_id = static_cast<int32_t>(parse_int(name, value));
  else if (name == "forced_eos_token_id") c.forced_eos_token_id = static_cast<int32_t>(parse_int(name, value));
  else if (name == "early_stopping") {
    if (value == "never") c.early_stopping = EarlyStopping::kNever;
    else c.early_stopping = parse_bool(name, value) ? EarlyStopping::kTrue : EarlyStopping::kFalse;
  } else if (name == "eos_token_id") {
    c.eos_token_id.clear();
    size_t begin = 0;
    while (begin <= value.size()) {
      size_t comma = value.find(',', begin);
      if (comma == std::string_view::npos) comma = value.size();
      c.eos_token_id.push_back(static_cast<int32_t>(parse_int(name, value.substr(begin, comma - begin))));
      begin = comma + 1;
    }
  } else {
    bad_option(name, value, "unknown option");
  }
}

ResolvedGeneration resolve_generation(const GenerationConfig& c, int prompt_len) {
  auto fail = [](const std::string& what) { throw Error("generation config: " + what); };
  if (prompt_len < 1) fail("the decoder prompt is empty (it needs at least the start token)");
  if (c.num_beams < 1) fail("num_beams = " + std::to_string(c.num_beams) + " must be ≥ 1");
  if (c.num_return_sequences < 1)
    fail("num_return_sequences = " + std::to_string(c.num_return_sequences) + " must be ≥ 1");

  ResolvedGeneration r;
  r.prompt_len = prompt_len;
  if (c.num_beams == 1) r.mode = c.do_sample ? DecodingMode::kSample : DecodingMode::kGreedy;
  else if (!c.do_sample) r.mode = DecodingMode::kBeamSearch;
  else fail("do_sample with num_beams = " + std::to_string(c.num_beams) + " (beam sampling) is not supported");

  if (r.mode == DecodingMode::kGreedy && c.num_return_sequences != 1)
    fail("num_return_sequences = " + std::to_string(c.num_return_sequences) +
         " needs sampling or beam search (greedy returns one sequence)");
  if (r.mode == DecodingMode::kBeamSearch && c.num_return_sequences > c.num_beams)
    fail("num_return_sequences = " + std::to_string(c.num_return_sequences) + " exceeds num_beams = " +
         std::to_string(c.num_beams));
  if (r.mode == DecodingMode::kSample) {
    if (!(c.temperature > 0.0)) fail("temperature = " + std::to_string(c.temperature) + " must be > 0");
    if (!(c.top_p >= 0.0 && c.top_p <= 1.0)) fail("top_p = " + std::to_string(c.top_p) + " must be in [0, 1]");
    if (c.top_k < 0) fail("top_k must be ≥ 0");
  }
  if (!(c.repetition_penalty > 0.0))
    fail("repetition_penalty = " + std::to_string(c.repetition_penalty) + " must be > 0");

  // `_prepare_generated_length`: the *_new_tokens forms win and count from the decoder prompt.
  r.max_length = c.max_new_tokens ? *c.max_new_tokens + prompt_len : c.max_length;
  r.min_length = c.min_new_tokens ? *c.min_new_tokens + prompt_len : c.min_length;
  r.min_new_tokens = c.min_new_tokens.value_or(0);
  if (c.early_stopping == EarlyStopping::kNever && c.length_penalty > 0.0 && r.max_length <= prompt_len)
    fail("max_length is not larger than the decoder prompt length (early_stopping = never)");

  if (c.pad_token_id) r.pad_token_id = *c.pad_token_id;
  else if (!c.eos_token_id.empty()) r.pad_token_id = c.eos_token_id.front();
  return r;
}

}  // namespace vkcap::generate
