#include "api/generation_settings.h"

#include "util/error.h"

namespace vkcap::api {

namespace {

// A family's generation settings over what `config` holds; unset ones leave it as it is.
void apply(const model::GenerationDefaults& d, generate::GenerationConfig& config) {
  if (d.num_beams) config.num_beams = *d.num_beams;
  if (d.max_length) config.max_length = *d.max_length;
  if (d.min_length) config.min_length = *d.min_length;
  if (d.max_new_tokens) config.max_new_tokens = *d.max_new_tokens;
  if (d.no_repeat_ngram_size) config.no_repeat_ngram_size = *d.no_repeat_ngram_size;
  if (d.early_stopping)
    config.early_stopping = *d.early_stopping ? generate::EarlyStopping::kTrue : generate::EarlyStopping::kFalse;
  if (d.forced_bos_token_id) config.forced_bos_token_id = *d.forced_bos_token_id;
  if (d.forced_eos_token_id) config.forced_eos_token_id = *d.forced_eos_token_id;
}

void apply_preset(const std::string& name, const model::ModelFamily& family, generate::GenerationConfig& config) {
  if (name == "hf") return;  // transformers' defaults with the checkpoint's config
  if (name == "card") return apply(family.card_generation(), config);
  if (name == "quality") {
    config.num_beams = 5;
    config.max_new_tokens = 40;
    config.min_new_tokens = 5;
    config.no_repeat_ngram_size = 3;
    config.repetition_penalty = 1.2;
    return;
  }
  throw InvalidArgumentError("preset '" + name + "': expected hf, card or quality");
}

}  // namespace

namespace {

std::string preset_name(const model::CaptionModel& model, const GenerationOptions& o) {
  if (!o.preset.empty()) return o.preset;
  return model.family().default_preset();
}

generate::GenerationConfig config_from_options(const model::CaptionModel& model, const GenerationOptions& o) {
  generate::GenerationConfig config;
  config.eos_token_id = {model.eos_token_id()};
  config.pad_token_id = model.pad_token_id();
  // What generate() takes from the checkpoint itself, whatever the preset.
  apply(model.family().checkpoint_generation(), config);
  apply_preset(preset_name(model, o), model.family(), config);
  if (o.max_new_tokens) config.max_new_tokens = *o.max_new_tokens;
  // An explicit minimum replaces the preset's, whichever way the preset counted it.
  if (o.min_new_tokens) config.min_new_tokens = *o.min_new_tokens, config.min_length = 0;
  if (o.num_beams) config.num_beams = *o.num_beams;
  if (o.no_repeat_ngram_size) config.no_repeat_ngram_size = *o.no_repeat_ngram_size;
  if (o.length_penalty) config.length_penalty = *o.length_penalty;
  if (o.repetition_penalty) config.repetition_penalty = *o.repetition_penalty;
  if (o.temperature) config.temperature = *o.temperature;
  if (o.top_k) config.top_k = *o.top_k;
  if (o.top_p) config.top_p = *o.top_p;
  config.do_sample = o.do_sample;
  config.seed = o.seed;
  return config;
}

generate::ResolvedGeneration resolve(const generate::GenerationConfig& config, int prompt_tokens) {
  try {
    return generate::resolve_generation(config, prompt_tokens);
  } catch (const InvalidArgumentError&) {
    throw;
  } catch (const Error& e) {
    throw InvalidArgumentError(e.what());
  }
}

GenerationSettings describe(const std::string& preset, const GenerationOptions& o, const generate::GenerationConfig& c,
                            const generate::ResolvedGeneration& r) {
  GenerationSettings s;
  s.preset = preset;
  s.prompt_tokens = r.prompt_len;
  s.max_length = r.max_length;
  s.min_length = r.min_length;
  s.max_new_tokens = c.max_new_tokens;
  s.num_beams = c.num_beams;
  s.do_sample = c.do_sample;
  s.length_penalty = c.length_penalty;
  s.repetition_penalty = c.repetition_penalty;
  s.no_repeat_ngram_size = c.no_repeat_ngram_size;
  s.temperature = c.temperature;
  s.top_k = c.top_k;
  s.top_p = c.top_p;
  s.seed = c.seed;
  s.prompt = o.prompt;
  return s;
}

// The task's token and the ids of its prompt, which the encoder reads (families with tasks).
void prepare_task(const model::CaptionModel& model, const GenerationOptions& o, PreparedGeneration& p) {
  model::TaskPrompt task = model.task_prompt(o.task, o.task_text);
  p.encoder_prompt = std::move(task.encoder_prompt);
  p.task_token = std::move(task.task_token);
}

}  // namespace

PreparedGeneration prepare_generation(const model::CaptionModel& model, const GenerationOptions& options) {
  PreparedGeneration p;
  p.config = config_from_options(model, options);
  prepare_task(model, options, p);
  p.prompt = model.decoder_prompt(options.prompt);
  const int prompt_tokens = int(p.prompt.size());
  p.resolved = resolve(p.config, prompt_tokens);

  // Generation feeds positions 0 … max_length-2 (HF always generates at least one token).
  const int positions = model.config().max_positions();
  const int most_new = positions + 1 - prompt_tokens;
  const int needed = std::max(p.resolved.max_length, prompt_tokens + 1) - 1;
  if (needed > positions) {
    if (options.max_new_tokens || most_new < 1)
      throw InvalidArgumentError("max_new_tokens: " + std::to_string(p.resolved.max_length - prompt_tokens) +
                                 " new tokens need " + std::to_string(needed) + " decoder positions, the model has " +
                                 std::to_string(positions) + " (at most " + std::to_string(std::max(0, most_new)) +
                                 " new tokens after a " + std::to_string(prompt_tokens) + "-token prompt)");
    p.notice = "preset '" + preset_name(model, options) + "' asks for up to " +
               std::to_string(p.resolved.max_length - prompt_tokens) + " new tokens; this model has room for " +
               std::to_string(most_new) + ", so captions stop there";
    p.config.max_new_tokens = most_new;
    p.resolved = resolve(p.config, prompt_tokens);
  }
  if (p.resolved.min_length > p.resolved.max_length)
    throw InvalidArgumentError("min_new_tokens: at least " + std::to_string(p.resolved.min_length - prompt_tokens) +
                               " new tokens but at most " + std::to_string(p.resolved.max_length - prompt_tokens));
  p.settings = describe(preset_name(model, options), options, p.config, p.resolved);
  p.settings.task = p.task_token;
  return p;
}

}  // namespace vkcap::api
