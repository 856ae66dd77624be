#include "api/caption_engine.h"

#include <chrono>
#include <optional>

#include "api/context_options.h"
#include "api/cross_attention_recorder.h"
#include "util/error.h"

namespace vkcap::api {

namespace {

model::ModelOptions model_options(const CaptionerOptions& o) {
  model::ModelOptions m;
  m.weights = o.fp16 ? kernels::WeightType::F16 : kernels::WeightType::F32;
  return m;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// A token's label: its own text, surrounding spaces trimmed (WordPiece pieces as they are,
// e.g. "##ing"; GPT-2 byte-level tokens decoded to UTF-8).
std::string token_label(const text::Tokenizer& tokenizer, int32_t token) {
  const int32_t ids[1] = {token};
  const std::string text = tokenizer.decode(ids, /*skip_special_tokens=*/false, /*clean_up_tokenization_spaces=*/false);
  const size_t first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

CaptionEngine::CaptionEngine(const std::filesystem::path& model_dir, const CaptionerOptions& options)
    : on_notice_(options.on_notice),
      ctx_(context_options(options)),
      model_(ctx_, model_dir, model_options(options)),
      step_model_(model_) {}

void CaptionEngine::notice(const std::string& text) const {
  if (on_notice_) on_notice_(text);
}

Caption CaptionEngine::to_caption(const generate::GeneratedSequence& s) const {
  const text::Tokenizer& tokenizer = model_.tokenizer();
  Caption c;
  c.tokens = s.tokens;
  c.new_tokens = s.new_tokens;
  c.text = tokenizer.decode(s.tokens, /*skip_special_tokens=*/true);
  c.words = tokenizer.convert_ids_to_tokens(s.new_tokens);
  for (int32_t token : s.new_tokens) {
    c.labels.push_back(token_label(tokenizer, token));
    c.special.push_back(tokenizer.is_special(token));
  }
  c.score = s.score;
  c.finish_reason = s.finish_reason;
  return c;
}

void CaptionEngine::add_answer(Caption& c, const std::string& task_token, ImageSize size) const {
  std::optional<model::TaskAnswer> answer = model_.family().answer(c.tokens, task_token, size.width, size.height);
  if (!answer) return;
  c.task = task_token;
  c.region_task = answer->region_task;
  if (!c.region_task) {
    c.text = std::move(answer->text);
    return;
  }
  c.text.clear();
  for (const text::Florence2Region& r : answer->regions) {
    Region region;
    region.label = r.label;
    region.points = r.points;
    region.quad = r.shape == text::Florence2Region::Shape::kQuad;
    region.polygons = r.polygons;
    c.regions.push_back(std::move(region));
    if (!r.label.empty()) c.text += (c.text.empty() ? "" : "; ") + r.label;
  }
}

std::vector<Caption> CaptionEngine::caption_pixels(const std::vector<std::vector<float>>& pixels,
                                                   const std::vector<ImageSize>& sizes,
                                                   const PreparedGeneration& generation, bool keep_cross_attention,
                                                   BatchTimes* times) {
  if (sizes.size() != pixels.size()) throw Error("internal: one image size per image expected");
  const auto t0 = std::chrono::steady_clock::now();
  model_.encode(pixels, generation.encoder_prompt);
  const double encode_ms = ms_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  std::optional<CrossAttentionRecorder> recorder;
  if (keep_cross_attention) recorder.emplace(model_, step_model_);
  generate::StepModel& stepper = recorder ? static_cast<generate::StepModel&>(*recorder) : step_model_;
  const std::vector<generate::GeneratedSequence> sequences =
      generate::generate(stepper, generation.prompt, int(pixels.size()), generation.config);

  std::vector<Caption> captions(pixels.size());
  for (const generate::GeneratedSequence& s : sequences) {
    Caption& c = captions.at(size_t(s.image));
    c = to_caption(s);
    if (recorder) c.cross_attention = recorder->maps_for(s);
    if (!generation.task_token.empty()) add_answer(c, generation.task_token, sizes.at(size_t(s.image)));
  }
  if (times) *times = {encode_ms, ms_since(t1)};
  return captions;
}

}  // namespace vkcap::api
