// vkcap::Captioner (include/vkcap/captioner.h): the CLI's caption path behind a small interface.
#include "vkcap/captioner.h"

#include <algorithm>

#include "api/cross_attention_recorder.h"
#include "api/step_adapter.h"
#include "generate/generate.h"
#include "image/image.h"
#include "model/caption_model.h"
#include "model/hf_cache.h"
#include "util/error.h"
#include "vk/context.h"

namespace vkcap {

namespace {

// Images encoded and decoded together by caption(span): enough to amortise the per-step
// submits, few enough that the encoder's activations stay small.
constexpr size_t kBatchImages = 8;

vk::ContextOptions context_options(const CaptionerOptions& o) {
  vk::ContextOptions c;
  c.device = o.device;
  c.validation = o.validation;
  if (o.on_validation_message)
    c.on_validation_message = [sink = o.on_validation_message](std::string_view m) { sink(std::string(m)); };
  return c;
}

model::ModelOptions model_options(const CaptionerOptions& o) {
  model::ModelOptions m;
  m.weights = o.fp16 ? kernels::WeightType::F16 : kernels::WeightType::F32;
  return m;
}

GenerationConfig generation_config(const model::CaptionModel& m, const GenerationOptions& o) {
  GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  config.max_new_tokens = o.max_new_tokens;
  config.min_new_tokens = o.min_new_tokens;
  config.num_beams = o.num_beams;
  config.length_penalty = o.length_penalty;
  config.repetition_penalty = o.repetition_penalty;
  config.no_repeat_ngram_size = o.no_repeat_ngram_size;
  config.do_sample = o.do_sample;
  config.temperature = o.temperature;
  config.top_k = o.top_k;
  config.top_p = o.top_p;
  config.seed = o.seed;
  return config;
}

}  // namespace

struct Captioner::Impl {
  vk::Context ctx;
  model::CaptionModel model;
  api::DecoderStepModel step_model;

  Impl(const std::filesystem::path& dir, const CaptionerOptions& o)
      : ctx(context_options(o)), model(ctx, dir, model_options(o)), step_model(model) {}

  // Captions images that are already decoded, all in one encoder batch and one generate call.
  std::vector<Caption> run(const std::vector<Image>& images, const GenerationOptions& o) {
    GenerationConfig config = generation_config(model, o);
    const std::vector<int32_t> prompt = model.decoder_prompt(o.prompt);
    resolve_generation(config, int(prompt.size()));  // bad settings fail before any GPU work

    std::vector<std::vector<float>> pixels;
    pixels.reserve(images.size());
    for (const Image& image : images) pixels.push_back(model.pixel_values(image));
    model.encode(pixels);

    std::vector<GeneratedSequence> sequences;
    std::optional<api::CrossAttentionRecorder> recorder;
    if (o.keep_cross_attention) {
      recorder.emplace(model, step_model);
      sequences = generate(*recorder, prompt, int(images.size()), config);
    } else {
      sequences = generate(step_model, prompt, int(images.size()), config);
    }

    std::vector<Caption> captions(images.size());
    for (const GeneratedSequence& s : sequences) {
      Caption& c = captions.at(size_t(s.image));
      c.tokens = s.tokens;
      c.new_tokens = s.new_tokens;
      c.text = model.tokenizer().decode(s.tokens, /*skip_special_tokens=*/true);
      c.words = model.tokenizer().convert_ids_to_tokens(s.new_tokens);
      c.score = s.score;
      c.finish_reason = s.finish_reason;
      if (recorder) c.cross_attention = recorder->maps_for(s);
    }
    return captions;
  }
};

Captioner::Captioner(const std::string& model, const CaptionerOptions& options)
    : impl_(std::make_unique<Impl>(resolve_model(model), options)) {}
Captioner::~Captioner() = default;
Captioner::Captioner(Captioner&&) noexcept = default;
Captioner& Captioner::operator=(Captioner&&) noexcept = default;

Caption Captioner::caption(const std::filesystem::path& image, const GenerationOptions& options) {
  DecodeOptions decode;
  decode.apply_exif_orientation = options.apply_exif_orientation;
  return impl_->run({decode_image(image, decode)}, options).at(0);
}

Caption Captioner::caption(const RgbImage& image, const GenerationOptions& options) {
  if (image.width <= 0 || image.height <= 0)
    throw Error("RgbImage: width and height must be positive (got " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + ")");
  const size_t expected = size_t(image.width) * size_t(image.height) * 3;
  if (image.rgb.size() != expected)
    throw Error("RgbImage: rgb holds " + std::to_string(image.rgb.size()) + " bytes, expected width*height*3 = " +
                std::to_string(expected));
  Image copy;
  copy.width = image.width;
  copy.height = image.height;
  copy.rgb.assign(image.rgb.begin(), image.rgb.end());
  return impl_->run({std::move(copy)}, options).at(0);
}

std::vector<Caption> Captioner::caption(std::span<const std::filesystem::path> images,
                                        const GenerationOptions& options) {
  DecodeOptions decode;
  decode.apply_exif_orientation = options.apply_exif_orientation;
  std::vector<Caption> out;
  out.reserve(images.size());
  for (size_t begin = 0; begin < images.size(); begin += kBatchImages) {
    const size_t end = std::min(images.size(), begin + kBatchImages);
    std::vector<Image> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back(decode_image(images[i], decode));
    for (Caption& c : impl_->run(batch, options)) out.push_back(std::move(c));
  }
  return out;
}

std::filesystem::path Captioner::model_directory() const { return impl_->model.directory(); }
std::string Captioner::architecture() const { return impl_->model.architecture_name(); }
std::string Captioner::device_name() const { return impl_->ctx.info().name; }
int Captioner::image_tokens() const { return impl_->model.image_tokens(); }
int Captioner::patch_grid() const { return impl_->model.patch_grid(); }

std::vector<float> CrossAttentionMaps::patch_map(int step) const {
  if (step < 0 || step >= steps) throw Error("CrossAttentionMaps::patch_map: step " + std::to_string(step) +
                                             " is outside 0.." + std::to_string(steps - 1));
  const int patches = patch_grid * patch_grid;
  const int first = image_tokens - patches;  // 1: the class token comes first
  std::vector<float> map(size_t(patches), 0.0f);
  for (int layer = 0; layer < layers; ++layer)
    for (int head = 0; head < heads; ++head)
      for (int p = 0; p < patches; ++p) map[size_t(p)] += at(step, layer, head, first + p);
  const float mean = 1.0f / float(layers * heads);
  for (float& v : map) v *= mean;
  return map;
}

}  // namespace vkcap
