// decode_image: recognise the format from the first bytes, refuse what we do not decode or
// what is too large, hand the bytes to that format's decoder (decoders.h), turn it upright.
#include <algorithm>
#include <string>

#include "image/decoders.h"
#include "image/exif.h"
#include "image/header_check.h"
#include "image/image.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace vkcap::image {
namespace {

bool starts_with(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && std::equal(magic.begin(), magic.end(), b.begin() + at,
                                                     [](char m, uint8_t c) { return uint8_t(m) == c; });
}

// Formats people commonly have but we do not decode are named in the error, so the message
// says what to convert from.
[[noreturn]] void refuse_unknown(std::span<const uint8_t> b, std::string_view name) {
  using namespace std::string_view_literals;
  std::string what = "unknown format";
  if (b.empty()) {
    what = "empty file";
  } else if (starts_with(b, "ftyp"sv, 4)) {
    what = "ISO media without a HEIF or AVIF image brand: a video?";
  } else if (starts_with(b, "8BPS"sv)) {
    what = "Photoshop PSD";
  } else if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') {
    what = "Netpbm";
  } else if (starts_with(b, "\xFF\x0A"sv) || starts_with(b, "\0\0\0\x0CJXL \r\n\x87\n"sv)) {
    what = "JPEG XL";
  }
  throw Error(std::string(name) + ": not a supported image (" + what + "; supported: " +
              std::string(kSupportedImageFormats) + ")");
}

}  // namespace

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

Image decode_image_memory(std::span<const uint8_t> bytes, std::string_view name, const DecodeOptions& options) {
  const std::optional<ImageFormat> format = sniff_image_format(bytes);
  if (!format) refuse_unknown(bytes, name);

  DecodeRequest request;
  request.bytes = bytes;
  request.format = *format;
  request.prefix = std::string(name) + ": ";
  request.apply_orientation = options.apply_exif_orientation;
  // Dimensions from the header first, so a decompression bomb is refused before allocating.
  const int64_t limit = options.max_pixels;
  request.check_size = [prefix = request.prefix, limit](int64_t w, int64_t h) {
    if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
      throw Error(prefix + "image size " + std::to_string(w) + "x" + std::to_string(h) +
                  " is out of range (each side must be 1.." + std::to_string(kMaxImageSide) + ")");
    if (w * h > limit)
      throw Error(prefix + "image is " + std::to_string(w) + "x" + std::to_string(h) + " = " +
                  std::to_string(w * h) + " pixels, over the limit of " + std::to_string(limit) +
                  (limit % 1'000'000 == 0 ? " (" + std::to_string(limit / 1'000'000) + " megapixels)" : ""));
  };
  if (const auto [w, h] = header_size(bytes, *format); w != 0 || h != 0) request.check_size(w, h);

  DecodedImage decoded;
  switch (*format) {
    case ImageFormat::png:
    case ImageFormat::jpeg:
    case ImageFormat::gif:
    case ImageFormat::bmp: decoded = decode_with_stb(request); break;
    case ImageFormat::webp: decoded = decode_webp(request); break;
    case ImageFormat::tiff: decoded = decode_tiff(request); break;
    case ImageFormat::heif:
    case ImageFormat::avif: decoded = decode_heif(request); break;
  }
  if (decoded.image.width <= 0 || decoded.image.height <= 0 ||
      decoded.image.rgb.size() != size_t(decoded.image.width) * decoded.image.height * 3)
    throw Error(request.prefix + "decoder returned no picture");  // a bug of ours, never a crash
  if (options.apply_exif_orientation && decoded.orientation != 1)
    return apply_exif_orientation(decoded.image, decoded.orientation);
  return std::move(decoded.image);
}

Image decode_image(const std::filesystem::path& path, const DecodeOptions& options) {
  const MappedFile file(path);
  return decode_image_memory(file.bytes(), path.string(), options);
}

}  // namespace vkcap::image
