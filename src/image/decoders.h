#pragma once
// The decoders behind decode_image_memory, one file per library: stb_image (PNG, JPEG, BMP,
// GIF), libwebp, libtiff and libheif (HEIF and AVIF). Each gets the whole file and turns it
// into 8-bit RGB with the same rules (image.h): alpha dropped, 16-bit samples keep their high
// byte, the first frame or page only.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "image/header_check.h"
#include "image/image.h"

namespace vkcap::image {

struct DecodeRequest {
  std::span<const uint8_t> bytes;
  ImageFormat format;
  std::string prefix;  // "<file name>: ", the start of every error message
  // Throws when width x height is out of range or over the pixel limit. Every decoder calls it
  // with the size its header states, before it allocates anything for the pixels.
  std::function<void(int64_t width, int64_t height)> check_size;
  bool apply_orientation = true;
};

struct DecodedImage {
  Image image;
  // The EXIF-style orientation (1-8) still to be applied to `image`; 1 when there is none or
  // the decoder applied it itself.
  int orientation = 1;
};

DecodedImage decode_with_stb(const DecodeRequest& request);   // decode_stb.cpp
DecodedImage decode_webp(const DecodeRequest& request);       // decode_webp.cpp
DecodedImage decode_tiff(const DecodeRequest& request);       // decode_tiff.cpp
DecodedImage decode_heif(const DecodeRequest& request);       // decode_heif.cpp

// Library messages can span lines; an error is one line.
std::string one_line(std::string text);

}  // namespace vkcap::image
