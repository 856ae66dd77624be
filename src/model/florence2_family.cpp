#include "model/florence2_family.h"

#include "text/florence2_tasks.h"
#include "util/error.h"

namespace vkcap::model {

namespace {

// The tower is built for one image size: the processor's fixed `size`.
const image::PreprocessConfig& fixed_size(const FamilySources& sources) {
  const image::PreprocessConfig& p = sources.preprocess;
  if (p.size.height <= 0 || p.size.width <= 0)
    throw Error(sources.dir.string() + "/preprocessor_config.json: Florence-2 needs a fixed \"size\" (height and width)");
  return p;
}

}  // namespace

Florence2Family::Florence2Family(const FamilySources& sources) : ModelFamily(sources) {
  const image::PreprocessConfig& p = fixed_size(sources);
  model_ = std::make_unique<Florence2Model>(sources.weights, config_.florence2, p.size.height, p.size.width);
}

std::vector<float> Florence2Family::pixel_values(const image::Image& image) const {
  check_processor_size(image, preprocess_.size.width, preprocess_.size.height,
                       "; Florence-2 needs a fixed size (\"size\": {\"height\", \"width\"})");
  return image::preprocess(image, preprocess_);
}

void Florence2Family::encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt) {
  model_->encode(pixels, encoder_prompt);  // the cross K/V come with it
  const Florence2Model::Timings& t = model_->last_timings();
  timings_ = {t.vision_ms + t.text_encoder_ms, t.cross_kv_ms, t.vision_ms, t.text_encoder_ms};
}

std::vector<float> Florence2Family::encoder_output(int image, bool) const { return model_->encoder_output(image); }

EncoderFlops Florence2Family::encoder_flops(int encoder_prompt_tokens) const {
  return {model_->vision_flops(), model_->text_encoder_flops(encoder_prompt_tokens)};
}

std::vector<int32_t> Florence2Family::decoder_prompt(const std::string& prompt) const {
  if (!prompt.empty()) throw InvalidArgumentError("a Florence-2 model takes a task (and its text), not a caption prompt");
  return {config_.decoder_start_token_id};
}

TaskPrompt Florence2Family::task_prompt(const std::string& task, const std::string& task_text) const {
  const std::string name = task.empty() ? "caption" : task;
  const text::Florence2Task* found = text::find_florence2_task(name);
  if (!found) {
    std::string names;
    for (const text::Florence2Task& t : text::florence2_tasks())
      names += (names.empty() ? "" : ", ") + std::string(t.cli_name);
    throw InvalidArgumentError("task '" + name + "': expected one of " + names + " (or a token such as <OD>)");
  }
  try {
    return {text::florence2_prompt_ids(tokenizer_, *found, task_text), std::string(found->token)};
  } catch (const InvalidArgumentError&) {
    throw;
  } catch (const Error& e) {
    throw InvalidArgumentError(e.what());
  }
}

GenerationDefaults Florence2Family::checkpoint_generation() const {
  const Florence2TextConfig& t = config_.florence2.text;
  return {.num_beams = t.num_beams,
          .max_length = t.max_length,
          .no_repeat_ngram_size = t.no_repeat_ngram_size,
          .early_stopping = t.early_stopping,
          .forced_bos_token_id = t.forced_bos_token_id,
          .forced_eos_token_id = t.forced_eos_token_id};
}

std::optional<TaskAnswer> Florence2Family::answer(std::span<const int32_t> generated_ids, const std::string& task_token,
                                                  int width, int height) const {
  // Decoded as Microsoft's checkpoints' fast tokenizer does (added tokens unspaced), so that
  // location tokens are adjacent and parse.
  text::Florence2Result result =
      text::florence2_post_process(text::florence2_generated_text(tokenizer_, generated_ids), task_token, width, height);
  return TaskAnswer{result.answer != text::Florence2Answer::kPureText, std::move(result.text),
                    std::move(result.regions)};
}

}  // namespace vkcap::model
