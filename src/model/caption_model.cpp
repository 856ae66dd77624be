#include "model/caption_model.h"

#include "model/florence2_family.h"
#include "model/weight_loader.h"
#include "model/weight_store.h"
#include "util/error.h"

namespace vkcap::model {

CaptionModel::CaptionModel(vk::Context& ctx, const std::filesystem::path& dir, const ModelOptions& options)
    : ctx_(ctx), dir_(dir) {
  config_ = load_model_config(dir);
  tokenizer_ = text::load_tokenizer(dir);
  const auto preprocessor = dir / "preprocessor_config.json";
  if (!std::filesystem::exists(preprocessor))
    throw Error(preprocessor.string() + ": missing (the model directory needs its image processor config)");
  preprocess_ = image::load_preprocess_config(preprocessor);

  std::optional<WeightStore> checkpoint;
  if (!options.random_weights_seed) checkpoint.emplace(dir);
  WeightLoader weights =
      checkpoint ? WeightLoader(
                       ctx, [&](std::string_view name) { return checkpoint->find(name); }, checkpoint->source(),
                       options.weights, [&](const TensorView& view) { checkpoint->release(view); })
                 : WeightLoader::random(ctx, *options.random_weights_seed, options.weights);

  if (checkpoint)
    for (const std::string& name : checkpoint->names()) parameters_ += uint64_t(checkpoint->find(name)->element_count());
  try {
    family_ = make_model_family({ctx, dir_, config_, *tokenizer_, preprocess_, weights});
  } catch (const OutOfMemoryError& e) {
    // Say what the model needs, so the user can pick --fp16, a bigger budget or another device.
    const uint64_t bytes = parameters_ * (options.weights == kernels::WeightType::F16 ? 2 : 4);
    throw OutOfMemoryError(dir.string() + ": the model does not fit in device memory: its weights need about " +
                           std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB as " +
                           (options.weights == kernels::WeightType::F16 ? "fp16" : "fp32") + " (" + e.what() + ")");
  }
  if (!checkpoint) parameters_ = weights.elements_loaded();
}

CaptionModel::~CaptionModel() = default;

uint64_t CaptionModel::device_bytes() const { return ctx_.allocator().stats().allocated_bytes; }

const Florence2Model* CaptionModel::florence2() const {
  const auto* florence2 = dynamic_cast<const Florence2Family*>(family_.get());
  return florence2 ? &florence2->model() : nullptr;
}

}  // namespace vkcap::model
