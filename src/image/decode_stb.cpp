// PNG, JPEG, BMP and GIF through Debian's stb_image, the one translation unit that compiles it,
// limited to the formats we promise.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS (1 << 20)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <climits>
#include <memory>
#include <string>

#include "image/decoders.h"
#include "image/exif.h"
#include "util/error.h"

static_assert(vkcap::image::kMaxImageSide == STBI_MAX_DIMENSIONS);

namespace vkcap::image {

DecodedImage decode_with_stb(const DecodeRequest& request) {
  const std::span<const uint8_t> bytes = request.bytes;
  const std::string& prefix = request.prefix;
  const std::string format(format_name(request.format));
  if (bytes.size() > size_t(INT_MAX))
    throw Error(prefix + "file too large to decode (" + std::to_string(bytes.size()) + " bytes)");
  const int length = static_cast<int>(bytes.size());

  // Before any stb_image call: stbi_info already parses the tables that precede the frame.
  if (request.format == ImageFormat::jpeg && !jpeg_huffman_tables_are_sane(bytes))
    throw Error(prefix + "corrupt JPEG (a Huffman table has more than 256 codes)");
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(bytes.data(), length, &width, &height, &channels)) {
    const char* reason = stbi_failure_reason();
    throw Error(prefix + "corrupt or unsupported " + format + " header (" + (reason ? reason : "unreadable") + ")");
  }
  request.check_size(width, height);

  int decoded_w = 0, decoded_h = 0, file_channels = 0;
  // Asking for 3 channels makes stb_image do convert("RGB"): gray is replicated, palettes are
  // looked up, alpha is dropped, 16-bit samples keep their high byte.
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> pixels(
      stbi_load_from_memory(bytes.data(), length, &decoded_w, &decoded_h, &file_channels, 3), &stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw Error(prefix + "corrupt or truncated " + format + " (" + (reason ? reason : "decoder failed") + ")");
  }
  if (decoded_w != width || decoded_h != height)
    throw Error(prefix + "corrupt " + format + " (header says " + std::to_string(width) + "x" +
                std::to_string(height) + ", decoded " + std::to_string(decoded_w) + "x" + std::to_string(decoded_h) + ")");

  DecodedImage out;
  out.image.width = width;
  out.image.height = height;
  out.image.rgb.assign(pixels.get(), pixels.get() + size_t(width) * height * 3);
  if (request.format == ImageFormat::jpeg || request.format == ImageFormat::png)
    out.orientation = read_exif_orientation(bytes);
  return out;
}

}  // namespace vkcap::image
