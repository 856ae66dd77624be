#pragma once
// The GPU side of captioning: a Vulkan context, a loaded model, and the one function that turns
// the pixel values of a batch of images into captions (encode once, generate for all).
#include <functional>
#include <string>
#include <vector>

#include "api/decoder_step_model.h"
#include "api/generation_settings.h"
#include "generate/generate.h"
#include "model/caption_model.h"
#include "vk/context.h"
#include "vkcap/captioner.h"

namespace vkcap::api {

// An image's size before preprocessing: Florence-2's regions are in its pixels.
struct ImageSize {
  int width = 0, height = 0;
};

struct BatchTimes {
  double encode_ms = 0;  // encoder and cross-attention K/V
  double decode_ms = 0;  // generation
};

class CaptionEngine {
 public:
  CaptionEngine(const std::filesystem::path& model_dir, const CaptionerOptions& options);

  model::CaptionModel& model() { return model_; }
  const model::CaptionModel& model() const { return model_; }
  vk::Context& context() { return ctx_; }
  const vk::Context& context() const { return ctx_; }
  void notice(const std::string& text) const;

  // Captions the images whose pixel values (model::CaptionModel::pixel_values) and original sizes
  // are given, all in one encoder pass and one generate call; results in the same order. Throws
  // vkcap::Error (OutOfMemoryError, DeviceLostError, ...) for the batch as a whole.
  std::vector<Caption> caption_pixels(const std::vector<std::vector<float>>& pixels, const std::vector<ImageSize>& sizes,
                                      const PreparedGeneration& generation, bool keep_cross_attention,
                                      BatchTimes* times = nullptr);

 private:
  Caption to_caption(const generate::GeneratedSequence& sequence) const;
  // The family's post-processed answer of the task (Florence-2: text or regions in the image's
  // pixels); nothing changes for families without tasks.
  void add_answer(Caption& caption, const std::string& task_token, ImageSize size) const;

  std::function<void(const std::string&)> on_notice_;
  vk::Context ctx_;
  model::CaptionModel model_;
  DecoderStepModel step_model_;
};

}  // namespace vkcap::api
