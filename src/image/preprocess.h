#pragma once
// From a decoded image to the model's `pixel_values`, as transformers' BlipImageProcessor and
// ViTImageProcessor (4.40) do it: (convert to RGB) → resize with Pillow → rescale → normalize
// → CHW float32.
#include <array>
#include <filesystem>
#include <string_view>
#include <vector>

#include "image/image.h"
#include "image/resample.h"

namespace vkcap::image {

// The output size asked for by preprocessor_config.json's `size`.
struct ResizeTarget {
  // {"height": h, "width": w}, or a plain int n meaning n×n (get_size_dict with
  // default_to_square=True, what old feature-extractor files and the real BLIP config write).
  int height = 0;
  int width = 0;
  // {"shortest_edge": n}: the short side becomes n, the long side int(n · long / short)
  // (get_resize_output_image_size with default_to_square=False). 0 when not used.
  int shortest_edge = 0;
};

struct PreprocessConfig {
  bool do_resize = true;
  ResizeTarget size{224, 224, 0};
  Resample resample = Resample::bilinear;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<double, 3> image_mean{0.5, 0.5, 0.5};
  std::array<double, 3> image_std{0.5, 0.5, 0.5};
  // Recorded for fidelity; decode_image always yields RGB, so it changes nothing here.
  bool do_convert_rgb = false;

  // The processor's own defaults, used for every key the file leaves out.
  static PreprocessConfig blip_defaults();  // 384×384 bicubic, OpenAI CLIP mean/std
  static PreprocessConfig vit_defaults();   // 224×224 bilinear, mean = std = 0.5
};

// Reads preprocessor_config.json. Defaults come from `image_processor_type` (or the older
// `feature_extractor_type`): Blip* → blip_defaults, anything else → vit_defaults. Unknown keys
// are ignored; a key of the wrong type or out of range throws vkcap::Error naming the file
// and the key.
PreprocessConfig load_preprocess_config(const std::filesystem::path& path);
PreprocessConfig parse_preprocess_config(std::string_view json_text, std::string_view name_for_errors);

// The resized size (width, height) the config gives for an image of this size.
std::pair<int, int> preprocess_output_size(const Image& image, const PreprocessConfig& config);

// pixel_values for one image: float32, CHW, [3, height, width].
std::vector<float> preprocess(const Image& image, const PreprocessConfig& config);

}  // namespace vkcap::image
