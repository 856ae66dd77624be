// The one translation unit that compiles stb_image, limited to the formats we promise.
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
#include <cstring>
#include <memory>
#include <string>

#include "image/exif.h"
#include "image/header_check.h"
#include "image/image.h"
#include "util/error.h"
#include "util/mapped_file.h"

static_assert(vkcap::kMaxImageSide == STBI_MAX_DIMENSIONS);

namespace vkcap {
namespace {

bool starts_with(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

// What the first bytes say the file is. Formats people commonly have but we do not decode
// are named in the error, so the message says what to convert from.
ImageFormat detect_format(std::span<const uint8_t> b, std::string_view name) {
  using namespace std::string_view_literals;
  if (starts_with(b, "\x89PNG\r\n\x1a\n"sv)) return ImageFormat::png;
  if (starts_with(b, "\xFF\xD8\xFF"sv)) return ImageFormat::jpeg;
  if (starts_with(b, "GIF87a"sv) || starts_with(b, "GIF89a"sv)) return ImageFormat::gif;
  if (starts_with(b, "BM"sv)) return ImageFormat::bmp;

  std::string what = "unknown format";
  if (b.empty()) {
    what = "empty file";
  } else if (starts_with(b, "RIFF"sv) && starts_with(b, "WEBP"sv, 8)) {
    what = "WebP";
  } else if (starts_with(b, "II*\0"sv) || starts_with(b, "MM\0*"sv)) {
    what = "TIFF";
  } else if (starts_with(b, "ftyp"sv, 4) && (starts_with(b, "avif"sv, 8) || starts_with(b, "avis"sv, 8))) {
    what = "AVIF";
  } else if (starts_with(b, "ftyp"sv, 4)) {
    what = "HEIF/ISO media";
  } else if (starts_with(b, "8BPS"sv)) {
    what = "Photoshop PSD";
  } else if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') {
    what = "Netpbm";
  }
  throw Error(std::string(name) + ": not a supported image (" + what +
              "; supported: PNG, JPEG, BMP, GIF)");
}

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::png: return "PNG";
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::gif: return "GIF";
    case ImageFormat::bmp: return "BMP";
  }
  return "image";
}

}  // namespace

Image decode_image_memory(std::span<const uint8_t> bytes, std::string_view name,
                          const DecodeOptions& options) {
  const ImageFormat format = detect_format(bytes, name);
  const std::string prefix = std::string(name) + ": ";
  if (bytes.size() > size_t(INT_MAX))
    throw Error(prefix + "file too large to decode (" + std::to_string(bytes.size()) + " bytes)");
  const int length = static_cast<int>(bytes.size());

  // Dimensions from the header first, so a decompression bomb is refused before allocating.
  const auto refuse_size = [&](int64_t w, int64_t h) {
    if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
      throw Error(prefix + "image size " + std::to_string(w) + "x" + std::to_string(h) +
                  " is out of range (each side must be 1.." + std::to_string(kMaxImageSide) + ")");
    if (w * h > kMaxImagePixels)
      throw Error(prefix + "image is " + std::to_string(w) + "x" + std::to_string(h) + " = " +
                  std::to_string(w * h) + " pixels, over the limit of " +
                  std::to_string(kMaxImagePixels) + " (100 megapixels)");
  };
  if (const auto [w, h] = header_size(bytes, format); w != 0 || h != 0) refuse_size(w, h);
  // Before any stb_image call: stbi_info already parses the tables that precede the frame.
  if (format == ImageFormat::jpeg && !jpeg_huffman_tables_are_sane(bytes))
    throw Error(prefix + "corrupt JPEG (a Huffman table has more than 256 codes)");
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(bytes.data(), length, &width, &height, &channels)) {
    const char* reason = stbi_failure_reason();
    throw Error(prefix + "corrupt or unsupported " + format_name(format) + " header (" +
                (reason ? reason : "unreadable") + ")");
  }
  refuse_size(width, height);

  int decoded_w = 0, decoded_h = 0, file_channels = 0;
  // Asking for 3 channels makes stb_image do convert("RGB"): gray is replicated, palettes are
  // looked up, alpha is dropped, 16-bit samples keep their high byte.
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> pixels(
      stbi_load_from_memory(bytes.data(), length, &decoded_w, &decoded_h, &file_channels, 3),
      &stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw Error(prefix + "corrupt or truncated " + format_name(format) + " (" +
                (reason ? reason : "decoder failed") + ")");
  }
  if (decoded_w != width || decoded_h != height)
    throw Error(prefix + "corrupt " + std::string(format_name(format)) + " (header says " +
                std::to_string(width) + "x" + std::to_string(height) + ", decoded " +
                std::to_string(decoded_w) + "x" + std::to_string(decoded_h) + ")");

  Image image;
  image.width = width;
  image.height = height;
  image.rgb.assign(pixels.get(), pixels.get() + size_t(width) * height * 3);

  if (options.apply_exif_orientation && (format == ImageFormat::jpeg || format == ImageFormat::png)) {
    const int orientation = read_exif_orientation(bytes);
    if (orientation != 1) image = apply_exif_orientation(image, orientation);
  }
  return image;
}

Image decode_image(const std::filesystem::path& path, const DecodeOptions& options) {
  const MappedFile file(path);
  return decode_image_memory(file.bytes(), path.string(), options);
}

}  // namespace vkcap
