#pragma once
// Captioning images from C++: open a model once, caption as many images as you like.
//
//   #include <vkcap/captioner.h>
//   vkcap::Captioner captioner("models/blip-image-captioning-base");  // a model directory
//   vkcap::Caption c = captioner.caption("photo.jpg");
//   std::cout << c.text << "\n";
//
// Models are Hugging Face checkpoints of BlipForConditionalGeneration, VisionEncoderDecoderModel
// (ViT + GPT-2) or Florence2ForConditionalGeneration (Microsoft's Florence-2 and its fine-tunes;
// GenerationOptions::task picks what it does), given as a directory or as a model id found in
// the local Hugging Face cache (CaptionerOptions::hf_hub_cache); vkcap never downloads. Captions equal transformers 4.40.2's token
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
// The library reads no environment variables: everything it can be told is a field below (the
// vkcap tool maps its VKCAP_* variables onto them).
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
  // the best device (discrete > integrated > CPU).
  std::string device;
  // Store weights as fp16 (half the memory, faster decoding; accumulation stays fp32). Captions
  // may then differ from transformers' fp32 ones where two words are nearly tied.
  bool fp16 = false;
  // Khronos validation layer, for debugging; messages go to on_validation_message, or to stderr
  // when it is empty.
  bool validation = false;
  std::function<void(const std::string&)> on_validation_message;
  // One-line notices meant for people (e.g. "no GPU found, running on the CPU driver", or "out
  // of device memory with 8 images at once; continuing with 4"). Empty: dropped.
  std::function<void(const std::string&)> on_notice;
  // Kernel family: "" = the capability probe's choice, "gpu" (GPU-shaped kernels) or "cpu"
  // (kernels shaped for a CPU Vulkan driver such as lavapipe).
  std::string kernels;
  // How the CPU-shaped kernels read weights: "" = the probe's choice, "texels" or "addresses".
  std::string weight_fetch;
  // A subgroup size the kernels must run at (one the device allows through
  // VK_EXT_subgroup_size_control: `vkcap selftest` lists and checks them); 0 = the driver's
  // default. Only for working around a driver bug at the default size.
  uint32_t subgroup_size = 0;
  // SIMD width of llvmpipe (Mesa's CPU Vulkan driver): "" or "auto" = 512 bits on AVX-512 CPUs
  // unless LP_NATIVE_VECTOR_WIDTH is set, "256" or "512". The process's first Vulkan device
  // decides; asking a later Captioner for another width throws.
  std::string cpu_vector_width;
  // Device memory budget in bytes (0 = what the device has): allocations beyond it fail as out
  // of memory, as on a smaller GPU.
  uint64_t max_device_memory = 0;
  // Where compiled kernels are cached between runs (created when missing; the vkcap tool uses
  // $XDG_CACHE_HOME/vkcap). Empty = no disk cache: every process compiles its kernels afresh,
  // which takes seconds on a CPU driver.
  std::filesystem::path pipeline_cache_dir;
  // Where model ids (ORG/NAME) are looked up: a Hugging Face hub cache laid out as
  // huggingface_hub writes it (usually ~/.cache/huggingface/hub). Empty = only directories.
  std::filesystem::path hf_hub_cache;
  // Time every GPU dispatch (Captioner::kernel_times()); costs a little speed.
  bool profile = false;
  // On a CPU Vulkan device (lavapipe), run the image stage (matrix products through OpenBLAS,
  // attention, norms) and the decode step's cross-attention and matrix products on the host,
  // on the device's (host) memory — several times faster than the shaders there. Real GPUs never
  // do; false keeps all the work in shaders.
  bool host_blas = true;
  // For testing how an app copes with GPU failures: "device-lost@N" (submission N and every
  // later one report VK_ERROR_DEVICE_LOST), "submit-error@N" (submission N fails once) or
  // "validation-message@N" (a validation message before submission N). Empty = none.
  std::string fault_injection;
};

// Generation settings under Hugging Face's names. Unset fields come from the preset; a set field
// wins over it.
struct GenerationOptions {
  // "hf": transformers' generate() defaults with the checkpoint's config (BLIP, ViT-GPT2: greedy;
  // Florence-2: its config's 3 beams, no repeated 3-grams, early stopping; max_length 20
  // positions, prompt included); the parity setting. "card": the model card's settings (BLIP:
  // 3 beams, 5..20 positions; ViT-GPT2: 4 beams, 16 positions; Florence-2: hf's with
  // max_new_tokens 1024). "quality": 5 beams, 5..40 new tokens, no repeated 3-grams, repetition
  // penalty 1.2. Empty: the model's usual one (hf; card for Florence-2).
  std::string preset;
  std::optional<int> max_new_tokens;  // unset: the preset's (hf: max_length = 20 positions)
  std::optional<int> min_new_tokens;  // EOS is forbidden before this many new tokens
  std::optional<int> num_beams;       // 1 = greedy (or sampling)
  std::optional<double> length_penalty;      // beam score = sum of log-probs / length^length_penalty
  std::optional<double> repetition_penalty;  // 1 = off
  std::optional<int> no_repeat_ngram_size;   // 0 = off
  bool do_sample = false;
  std::optional<double> temperature;  // sampling only (1.0)
  std::optional<int> top_k;           // sampling only (50)
  std::optional<double> top_p;        // sampling only (1.0)
  uint64_t seed = 0;                  // sampling only
  // Text the caption starts with (BLIP conditional captioning, e.g. "a picture of"); for
  // ViT-GPT2 it follows the start token. The prompt is part of Caption::text, as in HF.
  std::string prompt;
  // Florence-2 only: the task, by name ("caption", "detailed-caption", "more-detailed-caption",
  // "ocr", "ocr-with-region", "od", "dense-region-caption", "region-proposal",
  // "phrase-grounding", "open-vocabulary-detection", …) or token ("<OD>"); empty = caption.
  // task_text is the input of the tasks that take one (the phrase to ground, the object to find).
  std::string task;
  std::string task_text;
  // Honour the EXIF orientation of image files (JPEG, PNG, WebP EXIF; the TIFF Orientation
  // tag), as transformers' load_image does. HEIF/AVIF irot/imir rotations are always applied.
  bool apply_exif_orientation = true;
  // Keep the cross-attention weights of every generated token (Caption::cross_attention). Costs
  // one read-back per step. Works for greedy, sampling and beam search.
  bool keep_cross_attention = false;
};

// What GenerationOptions mean for one model once the preset is applied and the lengths are
// resolved (Hugging Face's max_length counts the decoder prompt).
struct GenerationSettings {
  std::string preset;
  int prompt_tokens = 0;  // decoder prompt: start token (+ prompt text)
  int max_length = 0;     // positions, prompt included
  int min_length = 0;
  std::optional<int> max_new_tokens;
  int num_beams = 1;
  bool do_sample = false;
  double length_penalty = 1.0;
  double repetition_penalty = 1.0;
  int no_repeat_ngram_size = 0;
  double temperature = 1.0;
  int top_k = 50;
  double top_p = 1.0;
  uint64_t seed = 0;
  std::string prompt;
  std::string task;  // Florence-2: the task token ("<CAPTION>"); empty for other models
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
// image), for every layer and head. Florence-2's decoder also attends to the encoder rows of its
// task prompt, which follow the image tokens (prompt_tokens of them; 0 for BLIP and ViT-GPT2).
struct CrossAttentionMaps {
  int steps = 0;          // one per new token (Caption::new_tokens)
  int layers = 0;
  int heads = 0;
  // The image's tokens: token 0 is the encoder's class token (Florence-2: the mean of its image
  // tokens), then the patches, row-major.
  int image_tokens = 0;
  int patch_grid = 0;     // patches per side (image_tokens == 1 + patch_grid²)
  int prompt_tokens = 0;  // Florence-2: the task prompt's encoder rows, keys after the image tokens
  std::vector<float> weights;  // [steps, layers, heads, keys()]; each row sums to 1

  int keys() const { return image_tokens + prompt_tokens; }
  float at(int step, int layer, int head, int key) const {
    return weights[((size_t(step) * layers + layer) * heads + head) * keys() + key];
  }
  // One step's weights on every key (image tokens, then prompt rows), averaged over the heads of
  // one layer, or over all layers and heads when `layer` is unset (every layer and head weighs
  // alike); sums to 1.
  std::vector<float> token_map(int step, std::optional<int> layer = std::nullopt) const;
  // The mean over layers and heads of one step's weights on the patches (class token and prompt
  // rows left out), row-major [patch_grid, patch_grid]: where in the picture the word came from.
  std::vector<float> patch_map(int step) const;
};

// A Florence-2 region answer, in the original image's pixels (as post_process_generation gives it).
struct Region {
  std::string label;
  // A box: x1, y1, x2, y2. OCR with regions: a quadrilateral, x, y of its four corners.
  std::vector<float> points;
  bool quad = false;
  std::vector<std::vector<float>> polygons;  // segmentation tasks: x, y pairs per polygon
};

struct Caption {
  // Decoded, special tokens skipped. Florence-2: the post-processed answer of a text task, or
  // the region labels joined with "; " for a region task.
  std::string text;
  std::vector<int32_t> tokens;       // what transformers' generate returns: decoder prompt + new tokens
  std::vector<int32_t> new_tokens;   // after the decoder prompt (EOS included when produced)
  std::vector<std::string> words;    // each new token's vocabulary entry (e.g. "dog", "##s", "Ġon")
  std::vector<std::string> labels;   // each new token decoded alone, spaces trimmed ("dog", "on")
  std::vector<bool> special;         // whether each new token is a special token (EOS, padding)
  // Greedy / sampling: the mean log-probability of the new tokens. Beam search: HF's
  // sequences_scores (sum of log-probs / length^length_penalty).
  float score = 0.0f;
  std::string finish_reason;         // "eos" or "length" (raise max_new_tokens)
  std::optional<CrossAttentionMaps> cross_attention;  // when GenerationOptions::keep_cross_attention
  // Florence-2: the task token, and for region tasks the regions (empty for text tasks).
  std::string task;
  std::vector<Region> regions;
  bool region_task = false;
};

// One image of a caption_each() run.
struct ImageResult {
  size_t index = 0;               // position in the input list
  std::filesystem::path image;
  std::optional<Caption> caption; // set when the image was captioned
  std::string error;              // otherwise: one line naming the file and the problem
  double encode_ms = 0;           // the image's share of its batch's encoder time
  double decode_ms = 0;           // and of its decoding time
};

struct RunOptions {
  // Images encoded and decoded together (same captions as one at a time, fewer submits). Out of
  // device memory, a batch is split in halves and retried, and later batches are made smaller
  // (a notice says so); an image that fails alone fails with an out-of-memory error.
  int batch = 1;
  // Called once per input, in input order, as soon as its batch is done: write it out there.
  std::function<void(ImageResult&&)> on_result;
  // Polled before each batch; returning true stops the run there (e.g. after Ctrl-C). Results
  // already delivered stay delivered; the rest are not started.
  std::function<bool()> stop_requested;
};

struct RunSummary {
  size_t captioned = 0;
  size_t failed = 0;
  size_t not_started = 0;   // left after stop_requested()
  size_t new_tokens = 0;    // over every captioned image
  double encode_ms = 0;     // encoder wall time over the run
  double decode_ms = 0;     // decoding wall time over the run
  int batch = 1;            // the batch size at the end (smaller after out-of-memory)
  bool device_lost = false; // the device was lost: later images failed without being run
  bool stopped = false;     // stop_requested() ended the run early
};

// GPU time of one kernel over the Captioner's life (CaptionerOptions::profile).
struct KernelTime {
  std::string kernel;
  uint64_t calls = 0;
  double total_ms = 0;
};

class Captioner {
 public:
  // `model`: a directory, or a Hugging Face model id (ORG/NAME) in options.hf_hub_cache. Throws
  // vkcap::Error when the model cannot be found or read, or no Vulkan device is usable.
  explicit Captioner(const std::string& model, const CaptionerOptions& options = {});
  ~Captioner();
  Captioner(Captioner&&) noexcept;
  Captioner& operator=(Captioner&&) noexcept;
  Captioner(const Captioner&) = delete;
  Captioner& operator=(const Captioner&) = delete;

  // One image file (PNG, JPEG, BMP, GIF, WebP, TIFF, HEIF/HEIC, AVIF; recognised by content).
  // Throws vkcap::Error naming the file.
  Caption caption(const std::filesystem::path& image, const GenerationOptions& options = {});
  // One image in memory.
  Caption caption(const RgbImage& image, const GenerationOptions& options = {});
  // Many files: encoded and decoded together in groups (faster than one by one), results in
  // order, each equal to what caption(path) gives. A file that fails throws, naming it.
  std::vector<Caption> caption(std::span<const std::filesystem::path> images, const GenerationOptions& options = {});

  // The engine behind the vkcap tool: every image gets a result (a caption or a one-line
  // error), delivered as soon as its batch is done; a bad image never stops the others.
  // Throws only for bad options (InvalidArgumentError), before any image is read.
  RunSummary caption_each(std::span<const std::filesystem::path> images, const GenerationOptions& options,
                          const RunOptions& run);

  // The settings `options` resolve to for this model. Throws InvalidArgumentError for settings
  // that cannot run (e.g. top_p outside [0, 1], more positions than the model has).
  GenerationSettings settings(const GenerationOptions& options) const;

  std::filesystem::path model_directory() const;
  // Starts with the transformers class: "BlipForConditionalGeneration" or
  // "VisionEncoderDecoderModel" (then details, e.g. " (vit + gpt2)").
  std::string architecture() const;
  std::string device_name() const;    // the Vulkan device in use
  // Encoder tokens per image: class token (Florence-2: pooled token) + patches, without
  // Florence-2's prompt rows.
  int image_tokens() const;
  int patch_grid() const;             // patches per side
  int decoder_layers() const;         // layers of CrossAttentionMaps
  // Per-kernel GPU time so far, most expensive first; empty unless CaptionerOptions::profile.
  std::vector<KernelTime> kernel_times() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkcap
