// Resize, rescale, normalize, CHW: the arithmetic of transformers' image_transforms in the
// same number types, so the float32 results are identical, not merely close.
#include <cstddef>

#include "image/preprocess.h"

namespace vkcap {

std::pair<int, int> preprocess_output_size(const Image& image, const PreprocessConfig& config) {
  if (!config.do_resize) return {image.width, image.height};
  const ResizeTarget& s = config.size;
  if (s.shortest_edge == 0) return {s.width, s.height};
  // get_resize_output_image_size(default_to_square=False): int() truncates.
  const bool portrait = image.width <= image.height;
  const int short_side = portrait ? image.width : image.height;
  const int long_side = portrait ? image.height : image.width;
  const int new_long = int(double(s.shortest_edge) * long_side / short_side);
  return portrait ? std::pair{s.shortest_edge, new_long} : std::pair{new_long, s.shortest_edge};
}

std::vector<float> preprocess(const Image& image, const PreprocessConfig& config) {
  const auto [width, height] = preprocess_output_size(image, config);
  const Image resized = config.do_resize ? resize_pillow(image, width, height, config.resample) : image;

  // rescale: uint8 array × Python float is float64, then astype(float32).
  // normalize: (x - mean) / std with mean and std cast to float32, computed in float32.
  float mean[3], std_dev[3];
  for (int c = 0; c < 3; ++c) {
    mean[c] = float(config.image_mean[c]);
    std_dev[c] = float(config.image_std[c]);
  }
  const size_t plane = size_t(width) * height;
  std::vector<float> chw(3 * plane);
  for (size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) {
      const uint8_t v = resized.rgb[i * 3 + c];
      float x = config.do_rescale ? float(double(v) * config.rescale_factor) : float(v);
      if (config.do_normalize) x = (x - mean[c]) / std_dev[c];
      chw[size_t(c) * plane + i] = x;
    }
  }
  return chw;
}

}  // namespace vkcap
