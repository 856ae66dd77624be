// vkcap::Captioner (include/vkcap/captioner.h): the one captioning engine, under the vkcap tool
// and every app.
#include "vkcap/captioner.h"

#include <algorithm>

#include "api/batch_runner.h"
#include "api/caption_engine.h"
#include "api/generation_settings.h"
#include "image/image.h"
#include "model/hf_cache.h"
#include "util/error.h"

namespace vkcap {

struct Captioner::Impl {
  api::CaptionEngine engine;
  Impl(const std::filesystem::path& dir, const CaptionerOptions& options) : engine(dir, options) {}

  api::PreparedGeneration prepare(const GenerationOptions& options) const {
    api::PreparedGeneration generation = api::prepare_generation(engine.model(), options);
    if (!generation.notice.empty()) engine.notice(generation.notice);
    return generation;
  }
};

Captioner::Captioner(const std::string& model, const CaptionerOptions& options)
    : impl_(std::make_unique<Impl>(model::resolve_model(model, options.hf_hub_cache), options)) {}
Captioner::~Captioner() = default;
Captioner::Captioner(Captioner&&) noexcept = default;
Captioner& Captioner::operator=(Captioner&&) noexcept = default;

Caption Captioner::caption(const std::filesystem::path& image, const GenerationOptions& options) {
  return caption(std::span<const std::filesystem::path>(&image, 1), options).at(0);
}

Caption Captioner::caption(const RgbImage& image, const GenerationOptions& options) {
  if (image.width <= 0 || image.height <= 0)
    throw Error("RgbImage: width and height must be positive (got " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + ")");
  const size_t expected = size_t(image.width) * size_t(image.height) * 3;
  if (image.rgb.size() != expected)
    throw Error("RgbImage: rgb holds " + std::to_string(image.rgb.size()) + " bytes, expected width*height*3 = " +
                std::to_string(expected));
  const api::PreparedGeneration generation = impl_->prepare(options);
  image::Image copy;
  copy.width = image.width;
  copy.height = image.height;
  copy.rgb.assign(image.rgb.begin(), image.rgb.end());
  const std::vector<std::vector<float>> pixels{impl_->engine.model().pixel_values(copy)};
  return impl_->engine.caption_pixels(pixels, {{image.width, image.height}}, generation, options.keep_cross_attention)
      .at(0);
}

std::vector<Caption> Captioner::caption(std::span<const std::filesystem::path> images,
                                        const GenerationOptions& options) {
  // Enough images per pass to amortise the per-step submits, few enough that the encoder's
  // activations stay small.
  RunOptions run;
  run.batch = 8;
  std::vector<Caption> captions;
  captions.reserve(images.size());
  std::string first_error;
  run.on_result = [&](ImageResult&& r) {
    if (r.caption) captions.push_back(std::move(*r.caption));
    if (!r.error.empty() && first_error.empty()) first_error = r.error;
  };
  run.stop_requested = [&] { return !first_error.empty(); };
  caption_each(images, options, run);
  if (!first_error.empty()) throw Error(first_error);
  return captions;
}

RunSummary Captioner::caption_each(std::span<const std::filesystem::path> images, const GenerationOptions& options,
                                   const RunOptions& run) {
  const api::PreparedGeneration generation = impl_->prepare(options);  // bad settings fail before any image
  return api::BatchRunner(impl_->engine, generation, options, run).run(images);
}

GenerationSettings Captioner::settings(const GenerationOptions& options) const {
  return api::prepare_generation(impl_->engine.model(), options).settings;
}

std::filesystem::path Captioner::model_directory() const { return impl_->engine.model().directory(); }
std::string Captioner::architecture() const { return impl_->engine.model().architecture_name(); }
std::string Captioner::device_name() const { return impl_->engine.context().info().name; }
int Captioner::image_tokens() const { return impl_->engine.model().image_tokens(); }
int Captioner::patch_grid() const { return impl_->engine.model().patch_grid(); }
int Captioner::decoder_layers() const { return impl_->engine.model().decoder().spec().layers; }

std::vector<KernelTime> Captioner::kernel_times() const {
  std::vector<KernelTime> times;
  for (const auto& [name, t] : impl_->engine.context().profile()) times.push_back({name, t.calls, t.total_ms});
  std::sort(times.begin(), times.end(), [](const KernelTime& a, const KernelTime& b) { return a.total_ms > b.total_ms; });
  return times;
}

std::vector<float> CrossAttentionMaps::token_map(int step, std::optional<int> layer) const {
  if (step < 0 || step >= steps)
    throw Error("CrossAttentionMaps: step " + std::to_string(step) + " is outside 0.." + std::to_string(steps - 1));
  if (layer && (*layer < 0 || *layer >= layers))
    throw Error("CrossAttentionMaps: layer " + std::to_string(*layer) + " is outside 0.." + std::to_string(layers - 1));
  const int first = layer.value_or(0), last = layer.value_or(layers - 1);
  const float scale = 1.0f / float(heads * (last - first + 1));
  std::vector<float> map(size_t(keys()), 0.0f);
  for (int l = first; l <= last; ++l)
    for (int head = 0; head < heads; ++head)
      for (int t = 0; t < keys(); ++t) map[size_t(t)] += scale * at(step, l, head, t);
  return map;
}

std::vector<float> CrossAttentionMaps::patch_map(int step) const {
  const std::vector<float> all = token_map(step);
  const auto first = all.begin() + 1;  // the class token comes first, the prompt rows last
  return {first, first + ptrdiff_t(patch_grid) * patch_grid};
}

}  // namespace vkcap
