#include "model/vit_encoder_family.h"

#include <chrono>

#include "util/error.h"

namespace vkcap::model {

namespace {

VisionSpec vision_spec(const VisionConfig& v, kernels::Activation activation) {
  return {v.hidden_size, v.num_attention_heads, v.num_hidden_layers, v.intermediate_size, v.image_size,
          v.patch_size,  v.num_channels,        v.layer_norm_eps,    activation};
}

}  // namespace

VitEncoderFamily::VitEncoderFamily(const FamilySources& sources, VisionNaming naming)
    : ModelFamily(sources),
      encoder_(sources.weights, vision_spec(sources.config.vision, kernel_activation(sources.config.vision.hidden_act)),
               naming) {}

kernels::Activation VitEncoderFamily::kernel_activation(Activation a) {
  return a == Activation::Gelu ? kernels::Activation::GeluErf : kernels::Activation::GeluTanh;
}

std::vector<float> VitEncoderFamily::pixel_values(const image::Image& image) const {
  const int size = config_.vision.image_size;
  check_processor_size(image, size, size,
                       " but the vision model takes " + std::to_string(size) + "x" + std::to_string(size));
  std::vector<float> pixels = image::preprocess(image, preprocess_);
  if (pixels.size() != size_t(config_.vision.num_channels) * size * size)
    throw Error(dir_.string() + ": the vision model takes " + std::to_string(config_.vision.num_channels) +
                " channels; images are preprocessed to RGB");
  return pixels;
}

void VitEncoderFamily::encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t>) {
  const int n = int(pixels.size());
  const VisionSpec& vs = encoder_.spec();
  const uint64_t image_floats = uint64_t(vs.channels) * vs.image_size * vs.image_size;
  const uint64_t token_floats = uint64_t(vs.tokens()) * vs.hidden;
  if (n > images_ || !pixels_) {
    pixels_ = ctx_.create_buffer(std::max(n, 1) * image_floats * 4);
    encoded_ = ctx_.create_buffer(std::max(n, 1) * token_floats * 4);
    if (projection_)
      projected_ = ctx_.create_buffer(std::max(n, 1) * uint64_t(vs.tokens()) * decoder_->spec().hidden * 4);
  }
  images_ = std::max(images_, n);
  vk::Recorder rec(ctx_);
  for (int i = 0; i < n; ++i) {
    if (pixels[i].size() != image_floats) throw Error("internal: pixel_values of the wrong size");
    ctx_.upload(pixels_, pixels[i].data(), image_floats * 4, i * image_floats * 4);
    encoder_.record(rec, kernels::BufferRef(pixels_, i * image_floats), kernels::BufferRef(encoded_, i * token_floats));
  }
  if (projection_)
    kernels::record_linear(rec, {.w = &*projection_, .x = encoded_, .m = n * vs.tokens(), .y = projected_});
  const auto t0 = std::chrono::steady_clock::now();
  rec.submit();
  const auto t1 = std::chrono::steady_clock::now();
  decoder_->set_images(projection_ ? projected_ : encoded_, n, vs.tokens());
  const auto t2 = std::chrono::steady_clock::now();
  timings_.encoder_ms = timings_.vision_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  timings_.cross_kv_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
}

std::vector<float> VitEncoderFamily::encoder_output(int image, bool raw) const {
  const VisionSpec& vs = encoder_.spec();
  const bool projected = projection_ && !raw;
  const uint64_t width = projected ? decoder_->spec().hidden : vs.hidden;
  std::vector<float> out(uint64_t(vs.tokens()) * width);
  ctx_.download(projected ? projected_ : encoded_, out.data(), out.size() * 4, image * out.size() * 4);
  return out;
}

EncoderFlops VitEncoderFamily::encoder_flops(int) const { return {.vision = encoder_.flops()}; }

}  // namespace vkcap::model
