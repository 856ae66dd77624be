#pragma once
// A model family: everything one kind of checkpoint (BLIP, ViT-GPT2, Florence-2) brings beyond
// the shared kernels and search, behind the one interface CaptionModel delegates to. Its parts:
//   config reader    config.cpp recognises the family's config.json and reads its struct
//   weight-name map  the family's encoder and decoder classes, reading names via WeightLoader
//   preprocessing    pixel_values(): the image processor's output, checked against the encoder
//   encoder plan     encode(), encoder_output(), the encoder's sizes, work and timings
//   decoder step     decoder(): a TextDecoder, which generate/ drives unchanged
//   tokenizer        the directory's tokenizer (text/load_tokenizer.cpp), adjusted at construction
//   task / prompt    decoder_prompt(), task_prompt(), and the generation settings of its card
//   post-processing  answer(): a task's generated ids read back into text or regions
// docs/design.md ("Adding a model family") lists the files of each part.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "image/image.h"
#include "image/preprocess.h"
#include "model/config.h"
#include "model/text_decoder.h"
#include "text/florence2_postprocess.h"
#include "text/tokenizer.h"
#include "vk/context.h"

namespace vkcap::model {

class WeightLoader;

// Wall time of the last encode(): the image encoder, and the per-layer cross-attention K/V.
// A two-stage encoder (Florence-2: vision tower with projector, then the BART encoder) also
// splits encoder_ms into vision_ms and text_encoder_ms; a one-stage encoder has vision_ms =
// encoder_ms and text_encoder_ms = 0.
struct EncodeTimings {
  double encoder_ms = 0, cross_kv_ms = 0;
  double vision_ms = 0, text_encoder_ms = 0;
};

// Floating-point work of one image's encoding, split as EncodeTimings is.
struct EncoderFlops {
  double vision = 0, text_encoder = 0;
  double total() const { return vision + text_encoder; }
};

// A task's input to the model: the encoder's prompt ids and the task token the answer is read
// back with. Both empty for families without tasks.
struct TaskPrompt {
  std::vector<int32_t> encoder_prompt;
  std::string task_token;
};

// Generation settings a family brings, applied over transformers' defaults; unset fields keep
// them. (generate/ sits beside model/, so these are plain values, applied in src/api.)
struct GenerationDefaults {
  std::optional<int> num_beams, max_length, min_length, max_new_tokens, no_repeat_ngram_size;
  std::optional<bool> early_stopping;
  std::optional<int32_t> forced_bos_token_id, forced_eos_token_id;
};

// A task's answer read back from the generated ids: text, or regions in the image's pixels.
struct TaskAnswer {
  bool region_task = false;
  std::string text;                           // text answers
  std::vector<text::Florence2Region> regions;  // region answers
};

// What a family is built from: the model directory's parts (owned by CaptionModel, which
// outlives the family) and the weights.
struct FamilySources {
  vk::Context& ctx;
  const std::filesystem::path& dir;
  const ModelConfig& config;
  text::Tokenizer& tokenizer;
  const image::PreprocessConfig& preprocess;
  WeightLoader& weights;
};

class ModelFamily {
 public:
  explicit ModelFamily(const FamilySources& sources);
  virtual ~ModelFamily() = default;

  virtual std::string architecture_name() const = 0;

  // Preprocessing: pixel_values of one image ([channels, H, W]), as the image processor makes
  // them, refused before any work when they are not the size the encoder was built for.
  virtual std::vector<float> pixel_values(const image::Image& image) const = 0;

  // Encoder plan: encodes each image's pixel_values (with the task's encoder prompt, if the
  // family reads one) and computes every decoder layer's cross-attention K/V, making those
  // images the decoder's images 0..n-1.
  virtual void encode(const std::vector<std::vector<float>>& pixels, std::span<const int32_t> encoder_prompt) = 0;
  // What the decoder attends to for image i of the last encode(); `raw`: before a projection
  // between encoder and decoder, where the family has one.
  virtual std::vector<float> encoder_output(int image, bool raw) const = 0;
  const EncodeTimings& last_encode_timings() const { return timings_; }
  virtual EncoderFlops encoder_flops(int encoder_prompt_tokens) const = 0;
  // Image tokens the decoder attends to (before any prompt rows), and the patch grid's width.
  virtual int image_tokens() const = 0;
  virtual int patch_grid() const = 0;

  // Decoder step.
  virtual TextDecoder& decoder() = 0;

  // Task and prompt: the decoder's first input for an optional caption prompt, and a task's
  // encoder prompt. An empty task is the family's default one; families without tasks refuse
  // any task or task text.
  virtual std::vector<int32_t> decoder_prompt(const std::string& prompt) const = 0;
  virtual TaskPrompt task_prompt(const std::string& task, const std::string& task_text) const;
  // The checkpoint's own generation settings (preset "hf"), those of its model card (preset
  // "card"), and the preset used when none is asked for.
  virtual GenerationDefaults checkpoint_generation() const { return {}; }
  virtual GenerationDefaults card_generation() const = 0;
  virtual std::string default_preset() const { return "hf"; }

  // Post-processing: the answer of `task_token` (from task_prompt) in an image of width ×
  // height pixels; nothing for families without tasks, whose captions are the decoded text.
  virtual std::optional<TaskAnswer> answer(std::span<const int32_t> generated_ids, const std::string& task_token,
                                           int width, int height) const;

 protected:
  // Throws unless the processor resizes `image` to width × height; `why` ends the message.
  void check_processor_size(const image::Image& image, int width, int height, const std::string& why) const;

  vk::Context& ctx_;
  const std::filesystem::path& dir_;
  const ModelConfig& config_;
  text::Tokenizer& tokenizer_;
  const image::PreprocessConfig& preprocess_;
  EncodeTimings timings_;
};

// The family config.json names (ModelConfig::arch), built with its weights on the device.
std::unique_ptr<ModelFamily> make_model_family(const FamilySources& sources);

}  // namespace vkcap::model
