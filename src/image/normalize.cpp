// Resize, rescale, normalize, CHW: the arithmetic of transformers' image_transforms in the
// same number types, so the float32 results are identical, not merely close.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "image/preprocess.h"
#include "util/error.h"

namespace vkcap::image {

namespace {

// The resized image is allocated (as 8-bit RGB, then as float32 CHW) before the model can say
// it is the wrong size, so a hostile preprocessor_config.json (or a 1×1000000 image resized to a
// large shortest edge) must not make it unbounded: the same limits as a decoded image.
void check_output_size(int64_t width, int64_t height, const Image& image) {
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide ||
      width * height > kMaxImagePixels)
    throw Error("preprocess: resizing a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " image gives " + std::to_string(width) + "x" + std::to_string(height) +
                ", outside the limits (each side 1.." + std::to_string(kMaxImageSide) + ", at most " +
                std::to_string(kMaxImagePixels) + " pixels)");
}

}  // namespace

std::pair<int, int> preprocess_output_size(const Image& image, const PreprocessConfig& config) {
  if (!config.do_resize) return {image.width, image.height};
  const ResizeTarget& s = config.size;
  if (s.shortest_edge == 0) {
    check_output_size(s.width, s.height, image);
    return {s.width, s.height};
  }
  // get_resize_output_image_size(default_to_square=False): int() truncates. In double, then
  // checked, so that an extreme aspect ratio cannot overflow the int.
  const bool portrait = image.width <= image.height;
  const int short_side = portrait ? image.width : image.height;
  const int long_side = portrait ? image.height : image.width;
  const double new_long = std::trunc(double(s.shortest_edge) * long_side / std::max(short_side, 1));
  const int64_t long_checked = new_long < double(kMaxImageSide) + 1 ? int64_t(new_long) : int64_t(kMaxImageSide) + 1;
  if (portrait)
    check_output_size(s.shortest_edge, long_checked, image);
  else
    check_output_size(long_checked, s.shortest_edge, image);
  const int n = int(long_checked);
  return portrait ? std::pair{s.shortest_edge, n} : std::pair{n, s.shortest_edge};
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

}  // namespace vkcap::image
