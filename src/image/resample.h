#pragma once
// Pillow's Image.resize on 8-bit RGB, re-implemented bit for bit (Pillow 9.4,
// libImaging/Resample.c and, for NEAREST, the affine scale in Geometry.c), because
// transformers resizes with Pillow and one uint8 step shows in the pixel values.
#include "image/image.h"

namespace vkcap::image {

// Values are Pillow's Image.Resampling enum, as written in preprocessor_config.json.
enum class Resample : int {
  nearest = 0,
  lanczos = 1,
  bilinear = 2,
  bicubic = 3,
  box = 4,
  hamming = 5,
};

// `image.resize((width, height), resample, reducing_gap=None)`. The same size returns a copy.
// Throws vkcap::Error for a non-positive target size or an unknown filter.
Image resize_pillow(const Image& image, int width, int height, Resample resample);

}  // namespace vkcap::image
