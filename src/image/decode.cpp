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
#include <cstdlib>
#include <utility>
#include <cstring>
#include <memory>
#include <string>

#include "image/exif.h"
#include "image/image.h"
#include "util/error.h"
#include "util/mapped_file.h"

static_assert(vkcap::kMaxImageSide == STBI_MAX_DIMENSIONS);

namespace vkcap {
namespace {

enum class Format { png, jpeg, gif, bmp };

bool starts_with(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

// What the first bytes say the file is. Formats people commonly have but we do not decode
// are named in the error, so the message says what to convert from.
Format detect_format(std::span<const uint8_t> b, std::string_view name) {
  using namespace std::string_view_literals;
  if (starts_with(b, "\x89PNG\r\n\x1a\n"sv)) return Format::png;
  if (starts_with(b, "\xFF\xD8\xFF"sv)) return Format::jpeg;
  if (starts_with(b, "GIF87a"sv) || starts_with(b, "GIF89a"sv)) return Format::gif;
  if (starts_with(b, "BM"sv)) return Format::bmp;

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

// Width and height as the header states them, read without stb_image: stb refuses headers
// whose pixels would pass 1 GiB with a reason that its other format probes then overwrite, and
// a decompression bomb deserves a message with its size. Zero when the header is too short.
std::pair<int64_t, int64_t> header_size(std::span<const uint8_t> b, Format format) {
  const auto be16 = [&](size_t at) { return int64_t(b[at]) << 8 | b[at + 1]; };
  const auto le16 = [&](size_t at) { return int64_t(b[at + 1]) << 8 | b[at]; };
  const auto be32 = [&](size_t at) { return be16(at) << 16 | be16(at + 2); };
  const auto le32 = [&](size_t at) { return int64_t(int32_t(uint32_t(le16(at + 2) << 16 | le16(at)))); };
  switch (format) {
    case Format::png:  // IHDR is the first chunk
      if (b.size() >= 24) return {be32(16), be32(20)};
      break;
    case Format::gif:  // logical screen descriptor
      if (b.size() >= 10) return {le16(6), le16(8)};
      break;
    case Format::bmp:  // BITMAPINFOHEADER (negative height = top-down rows)
      if (b.size() >= 26 && le32(14) >= 40) return {le32(18), std::abs(le32(22))};
      break;
    case Format::jpeg:  // the first start-of-frame segment
      for (size_t at = 2; at + 9 <= b.size();) {
        if (b[at] != 0xFF) break;
        const uint8_t marker = b[at + 1];
        if (marker == 0xFF || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {
          at += marker == 0xFF ? 1 : 2;
          continue;
        }
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
          return {be16(at + 7), be16(at + 5)};
        if (marker == 0xDA || marker == 0xD9) break;
        at += 2 + size_t(be16(at + 2));
      }
      break;
  }
  return {0, 0};
}

// Debian's stb_image (git 2022-09-08) builds a Huffman table from a DHT segment without
// checking that its 16 code counts add up to at most 256, and then writes past the 257-entry
// table: a corrupt JPEG becomes a heap overflow. (Upstream added the check later.) So every DHT
// segment stb could parse is checked here first, read the way stb reads it: tables one after
// another until the segment length is used up, bytes past the end of the file read as 0.
// Up to the first scan, segments are followed by their lengths with junk skipped byte by byte,
// exactly as stb walks them. After it (entropy-coded data, where a real 0xFF is always
// followed by 0x00 or a restart marker, and progressive files' later tables), every FF C4 pair
// is checked: stb's resynchronisation on corrupt data could land on any of them.
bool jpeg_huffman_tables_are_sane(std::span<const uint8_t> b) {
  const auto at = [&](size_t i) -> uint32_t { return i < b.size() ? b[i] : 0; };
  const auto dht_is_sane = [&](size_t marker_pos) {
    const long length = long(at(marker_pos + 2) << 8 | at(marker_pos + 3));
    size_t read = marker_pos + 4;
    for (long remaining = length - 2; remaining > 0 && read < b.size();) {
      ++read;  // table class and id
      uint32_t codes = 0;
      for (int i = 0; i < 16; ++i) codes += at(read++);
      if (codes > 256) return false;
      read += codes;
      remaining -= 17 + long(codes);
    }
    return true;
  };
  size_t pos = 2;  // after SOI
  while (pos + 1 < b.size()) {
    if (b[pos] != 0xFF || b[pos + 1] == 0xFF) {  // junk or fill bytes
      ++pos;
      continue;
    }
    const uint8_t marker = b[pos + 1];
    if (marker == 0xD9) return true;  // EOI
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;
      continue;
    }
    if (marker == 0xDA) break;  // first scan
    if (marker == 0xC4 && !dht_is_sane(pos)) return false;
    pos += 2 + (at(pos + 2) << 8 | at(pos + 3));
  }
  for (; pos + 1 < b.size(); ++pos)
    if (b[pos] == 0xFF && b[pos + 1] == 0xC4 && !dht_is_sane(pos)) return false;
  return true;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::png: return "PNG";
    case Format::jpeg: return "JPEG";
    case Format::gif: return "GIF";
    case Format::bmp: return "BMP";
  }
  return "image";
}

}  // namespace

Image decode_image_memory(std::span<const uint8_t> bytes, std::string_view name,
                          const DecodeOptions& options) {
  const Format format = detect_format(bytes, name);
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
  if (format == Format::jpeg && !jpeg_huffman_tables_are_sane(bytes))
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

  if (options.apply_exif_orientation && (format == Format::jpeg || format == Format::png)) {
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
