#pragma once
// Captioning images from C++: open a model once, caption as many images as you like.
//
//   #include <vkcap/captioner.h>
//   vkcap::Captioner captioner("Salesforce/blip-image-captioning-base");  // or a directory
//   vkcap::Caption c = captioner.caption("photo.jpg");
//   std::cout << c.text << "\n";
//
// Models are Hugging Face checkpoints of BlipForConditionalGeneration or
// VisionEncoderDecoderModel (ViT + GPT-2), given as a directory or as a model id found in the
// local Hugging Face cache; vkcap never downloads. Captions equal transformers 4.40.2's token
// for token (greedy and beam search; sampling is deterministic for a seed but not PyTorch's
// random stream).
//
// Errors: every failure throws vkcap::Error (see vkcap/error.h) with a one-line message naming
// the file and the problem; a bad image does not spoil the Captioner, the next call works.
//
// Threads: a Captioner is not thread-safe — use one per thread (each holds its own GPU device
// context and a copy of the weights), or guard one with a mutex. Distinct Captioners may run
// concurrently. Calls block until the GPU is done.
//
// This header is self-contained (standard library only): no Vulkan or vkcap-internal types.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vkcap/error.h"

namespace vkcap {

struct CaptionerOptions {
  // GPU to use: an index or a substring of the device name ("0", "nvidia", "llvmpipe"); empty =
  // the VKCAP_DEVICE environment variable, else the best device (discrete > integrated > CPU).
  std::string device;
  // Store weights as fp16 (half the memory, faster decoding; accumulation stays fp32). Captions
  // may then differ from transformers' fp32 ones where two words are nearly tied.
  bool fp16 = false;
  // Khronos validation layer (also VKCAP_VALIDATE=1), for debugging; messages go to
  // on_validation_message, or to stderr when it is empty.
  bool validation = false;
  std::function<void(const std::string&)> on_validation_message;
};

// Generation settings under Hugging Face's names, with its defaults.
struct GenerationOptions {
  std::optional<int> max_new_tokens;  // unset: HF's max_length = 20 positions (prompt included)
  std::optional<int> min_new_tokens;  // EOS is forbidden before this many new tokens
  int num_beams = 1;                  // 1 = greedy (or sampling)
  double length_penalty = 1.0;        // beam score = sum of log-probs / length^length_penalty
  double repetition_penalty = 1.0;    // 1 = off
  int no_repeat_ngram_size = 0;       // 0 = off
  bool do_sample = false;
  double temperature = 1.0;
  int top_k = 50;
  double top_p = 1.0;
  uint64_t seed = 0;                  // sampling only
  // Text the caption starts with (BLIP conditional captioning, e.g. "a picture of"); for
  // ViT-GPT2 it follows the start token. The prompt is part of Caption::text, as in HF.
  std::string prompt;
  // Honour the EXIF orientation of JPEG/PNG files (transformers' load_image does).
  bool apply_exif_orientation = true;
  // Keep the cross-attention weights of every generated token (Caption::cross_attention). Costs
  // one read-back per step. Works for greedy, sampling and beam search.
  bool keep_cross_attention = false;
};

// 8-bit RGB pixels in memory: row-major, 3 bytes per pixel, no padding
// (rgb.size() == width * height * 3). The bytes are only read during the call.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::span<const uint8_t> rgb;
};

// How much each image token was attended to when each new token was written: the
// cross-attention probabilities of the decoder (queries from the text, keys and values from the
// image), for every layer and head.
struct CrossAttentionMaps {
  int steps = 0;         // one per new token (Caption::new_tokens)
  int layers = 0;
  int heads = 0;
  int image_tokens = 0;  // the encoder's tokens: token 0 is the class token, then the patches
  int patch_grid = 0;    // patches per side (image_tokens == 1 + patch_grid²)
  std::vector<float> weights;  // [steps, layers, heads, image_tokens]; each row sums to 1

  float at(int step, int layer, int head, int token) const {
    return weights[((size_t(step) * layers + layer) * heads + head) * image_tokens + token];
  }
  // The mean over layers and heads of one step's weights on the patches (class token left
  // out), row-major [patch_grid, patch_grid]: where in the picture the word came from.
  std::vector<float> patch_map(int step) const;
};

struct Caption {
  std::string text;                  // decoded, special tokens skipped
  std::vector<int32_t> tokens;       // what transformers' generate returns: decoder prompt + new tokens
  std::vector<int32_t> new_tokens;   // after the decoder prompt (EOS included when produced)
  std::vector<std::string> words;    // each new token as text (e.g. "dog", "##s", "Ġon"), for labels
  // Greedy / sampling: the mean log-probability of the new tokens. Beam search: HF's
  // sequences_scores (sum of log-probs / length^length_penalty).
  float score = 0.0f;
  std::string finish_reason;         // "eos" or "length" (raise max_new_tokens)
  std::optional<CrossAttentionMaps> cross_attention;  // when GenerationOptions::keep_cross_attention
};

class Captioner {
 public:
  // `model`: a directory, or a Hugging Face model id (ORG/NAME) in the local HF cache. Throws
  // vkcap::Error when the model cannot be found or read, or no Vulkan device is usable.
  explicit Captioner(const std::string& model, const CaptionerOptions& options = {});
  ~Captioner();
  Captioner(Captioner&&) noexcept;
  Captioner& operator=(Captioner&&) noexcept;
  Captioner(const Captioner&) = delete;
  Captioner& operator=(const Captioner&) = delete;

  // One image file (PNG, JPEG, BMP, GIF; recognised by content).
  Caption caption(const std::filesystem::path& image, const GenerationOptions& options = {});
  // One image in memory.
  Caption caption(const RgbImage& image, const GenerationOptions& options = {});
  // Many files: encoded and decoded together in groups (faster than one by one), results in
  // order, each equal to what caption(path) gives. A file that fails throws, naming it.
  std::vector<Caption> caption(std::span<const std::filesystem::path> images, const GenerationOptions& options = {});

  std::filesystem::path model_directory() const;
  // Starts with the transformers class: "BlipForConditionalGeneration" or
  // "VisionEncoderDecoderModel" (then details, e.g. " (vit + gpt2)").
  std::string architecture() const;
  std::string device_name() const;    // the Vulkan device in use
  int image_tokens() const;           // encoder tokens per image (class token + patches)
  int patch_grid() const;             // patches per side

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkcap
