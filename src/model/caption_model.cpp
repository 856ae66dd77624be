#include "model/caption_model.h"

#include <chrono>

#include "model/blip_decoder.h"
#include "model/decoder_prompt.h"
#include "model/weight_loader.h"
#include "model/gpt2_decoder.h"
#include "model/weight_store.h"
#include "util/error.h"

namespace vkcap::model {

namespace {

kernels::Activation kernel_activation(Activation a) {
  return a == Activation::Gelu ? kernels::Activation::GeluErf : kernels::Activation::GeluTanh;
}

}  // namespace

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
    build_layers(weights);
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

void CaptionModel::build_layers(WeightLoader& weights) {
  if (config_.arch == Architecture::Florence2) {
    if (preprocess_.size.height <= 0 || preprocess_.size.width <= 0)
      throw Error(dir_.string() + "/preprocessor_config.json: Florence-2 needs a fixed \"size\" (height and width)");
    florence2_ = std::make_unique<Florence2Model>(weights, config_.florence2, preprocess_.size.height,
                                                  preprocess_.size.width);
    return;
  }
  const VisionConfig& v = config_.vision;
  VisionSpec vision{v.hidden_size, v.num_attention_heads, v.num_hidden_layers, v.intermediate_size,
                    v.image_size,  v.patch_size,          v.num_channels,     v.layer_norm_eps,
                    kernel_activation(v.hidden_act)};
  const bool blip = config_.arch == Architecture::Blip;
  encoder_ = std::make_unique<VisionEncoder>(weights, vision, blip ? VisionNaming::Blip : VisionNaming::Vit);

  DecoderSpec spec;
  if (blip) {
    const BlipTextConfig& t = config_.blip_text;
    spec = {t.hidden_size, t.num_attention_heads, t.num_hidden_layers, t.intermediate_size, t.vocab_size,
            t.max_position_embeddings, v.hidden_size, t.layer_norm_eps, kernel_activation(t.hidden_act)};
    decoder_ = std::make_unique<BlipDecoder>(weights, spec);
    add_blip_special_tokens(*tokenizer_);
  } else {
    const Gpt2Config& g = config_.gpt2;
    spec = {g.n_embd, g.n_head, g.n_layer, g.n_inner, g.vocab_size, g.n_positions, g.n_embd, g.layer_norm_epsilon,
            kernel_activation(g.activation_function)};
    if (config_.has_enc_to_dec_proj) enc_to_dec_proj_ = weights.linear("enc_to_dec_proj", g.n_embd, v.hidden_size);
    decoder_ = std::make_unique<Gpt2Decoder>(weights, spec);
  }
}

std::string CaptionModel::architecture_name() const {
  switch (config_.arch) {
    case Architecture::Blip: return "BlipForConditionalGeneration";
    case Architecture::VitGpt2: return "VisionEncoderDecoderModel (vit + gpt2)";
    case Architecture::Florence2: return "Florence2ForConditionalGeneration (davit + bart)";
  }
  return "?";
}

uint64_t CaptionModel::device_bytes() const { return ctx_.allocator().stats().allocated_bytes; }

std::vector<float> CaptionModel::pixel_values(const image::Image& image) const {
  if (florence2_) {  // the tower was built for preprocess_.size
    const auto [width, height] = image::preprocess_output_size(image, preprocess_);
    if (width != preprocess_.size.width || height != preprocess_.size.height)
      throw Error(dir_.string() + "/preprocessor_config.json: resizes this image to " + std::to_string(width) + "x" +
                  std::to_string(height) + "; Florence-2 needs a fixed size (\"size\": {\"height\", \"width\"})");
    return image::preprocess(image, preprocess_);
  }
  // Checked before the work: a config that resizes to the wrong size fails at once.
  const int size = config_.vision.image_size;
  const auto [width, height] = image::preprocess_output_size(image, preprocess_);
  if (width != size || height != size)
    throw Error(dir_.string() + "/preprocessor_config.json: resizes this image to " + std::to_string(width) + "x" +
                std::to_string(height) + " but the vision model takes " + std::to_string(size) + "x" +
                std::to_string(size));
  std::vector<float> pixels = image::preprocess(image, preprocess_);
  if (pixels.size() != size_t(config_.vision.num_channels) * size * size)
    throw Error(dir_.string() + ": the vision model takes " + std::to_string(config_.vision.num_channels) +
                " channels; images are preprocessed to RGB");
  return pixels;
}

void CaptionModel::encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt) {
  if (florence2_) {
    florence2_->encode(pixels, encoder_prompt);  // the cross K/V come with it
    const Florence2Model::Timings& t = florence2_->last_timings();
    timings_ = {t.vision_ms + t.text_encoder_ms, t.cross_kv_ms, t.vision_ms, t.text_encoder_ms};
    return;
  }
  const int n = int(pixels.size());
  const VisionSpec& vs = encoder_->spec();
  const uint64_t image_floats = uint64_t(vs.channels) * vs.image_size * vs.image_size;
  const uint64_t token_floats = uint64_t(vs.tokens()) * vs.hidden;
  if (n > images_ || !pixels_) {
    pixels_ = ctx_.create_buffer(std::max(n, 1) * image_floats * 4);
    encoded_ = ctx_.create_buffer(std::max(n, 1) * token_floats * 4);
    if (config_.has_enc_to_dec_proj)
      projected_ = ctx_.create_buffer(std::max(n, 1) * uint64_t(vs.tokens()) * decoder_->spec().hidden * 4);
  }
  images_ = std::max(images_, n);
  vk::Recorder rec(ctx_);
  for (int i = 0; i < n; ++i) {
    if (pixels[i].size() != image_floats) throw Error("internal: pixel_values of the wrong size");
    ctx_.upload(pixels_, pixels[i].data(), image_floats * 4, i * image_floats * 4);
    encoder_->record(rec, kernels::BufferRef(pixels_, i * image_floats), kernels::BufferRef(encoded_, i * token_floats));
  }
  if (config_.has_enc_to_dec_proj)
    kernels::record_linear(rec, {.w = &enc_to_dec_proj_, .x = encoded_, .m = n * vs.tokens(), .y = projected_});
  const auto t0 = std::chrono::steady_clock::now();
  rec.submit();
  const auto t1 = std::chrono::steady_clock::now();
  decoder_->set_images(config_.has_enc_to_dec_proj ? projected_ : encoded_, n, vs.tokens());
  const auto t2 = std::chrono::steady_clock::now();
  timings_.encoder_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  timings_.cross_kv_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
}

std::vector<float> CaptionModel::encoder_output(int image, bool raw) const {
  if (florence2_) return florence2_->encoder_output(image);
  const VisionSpec& vs = encoder_->spec();
  const bool projected = config_.has_enc_to_dec_proj && !raw;
  const uint64_t width = projected ? decoder_->spec().hidden : vs.hidden;
  std::vector<float> out(uint64_t(vs.tokens()) * width);
  ctx_.download(projected ? projected_ : encoded_, out.data(), out.size() * 4, image * out.size() * 4);
  return out;
}

std::vector<int32_t> CaptionModel::decoder_prompt(const std::string& prompt) const {
  if (florence2_) {
    if (!prompt.empty())
      throw InvalidArgumentError("a Florence-2 model takes a task (and its text), not a caption prompt");
    return {config_.decoder_start_token_id};
  }
  if (config_.arch == Architecture::Blip)
    return decoder_prompt_for_blip(
        prompt.empty() ? std::vector<int32_t>{} : tokenizer_->encode(prompt, /*add_special_tokens=*/true),
        config_.decoder_start_token_id);
  return decoder_prompt_for_vitgpt2(tokenizer_->encode(prompt, /*add_special_tokens=*/false),
                                    config_.decoder_start_token_id);
}

}  // namespace vkcap::model
