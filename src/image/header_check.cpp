// Checks on the raw header bytes made before a decoder sees a file.
#include "image/header_check.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace vkcap::image {
namespace {

bool starts_with(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

// The still-image brands of HEIF (ISO/IEC 23008-12) and AVIF: a file is taken as one when its
// `ftyp` box names one of them, as major brand or among the compatible brands.
std::optional<ImageFormat> iso_media_image(std::span<const uint8_t> b) {
  using namespace std::string_view_literals;
  if (!starts_with(b, "ftyp"sv, 4) || b.size() < 16) return std::nullopt;
  const auto brand = [&](size_t at) -> std::optional<ImageFormat> {
    const std::string_view name(reinterpret_cast<const char*>(b.data() + at), 4);
    if (name == "avif" || name == "avis") return ImageFormat::avif;
    for (std::string_view heif : {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "mif2"})
      if (name == heif) return ImageFormat::heif;
    return std::nullopt;
  };
  const size_t box_end = std::min(b.size(), size_t(b[0]) << 24 | size_t(b[1]) << 16 | size_t(b[2]) << 8 | b[3]);
  std::optional<ImageFormat> found = brand(8);
  if (found == ImageFormat::avif) return found;
  // mif1 (the generic image brand) comes with the codec's brand among the compatible ones.
  for (size_t at = 16; at + 4 <= box_end; at += 4)
    if (const auto b2 = brand(at)) {
      if (b2 == ImageFormat::avif) return b2;
      found = b2;
    }
  return found;
}

// ImageWidth and ImageLength of the first directory (classic TIFF or BigTIFF, either byte
// order); {0, 0} when the directory is out of reach or lacks them.
std::pair<int64_t, int64_t> tiff_header_size(std::span<const uint8_t> b) {
  if (b.size() < 8) return {0, 0};
  const bool little = b[0] == 'I';
  const auto get = [&](size_t at, int n) -> uint64_t {
    if (at > b.size() || size_t(n) > b.size() - at) return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t(b[at + (little ? i : n - 1 - i)]) << (8 * (little ? i : n - 1 - i));
    return v;
  };
  const bool big = get(2, 2) == 43;
  const uint64_t ifd = big ? get(8, 8) : get(4, 4);
  if (ifd == 0 || ifd >= b.size()) return {0, 0};
  const uint64_t count = big ? get(ifd, 8) : get(ifd, 2);
  const size_t entry_size = big ? 20 : 12, first = ifd + (big ? 8 : 2);
  int64_t width = 0, height = 0;
  for (uint64_t i = 0; i < count && i < 4096; ++i) {
    const size_t at = first + i * entry_size;
    if (at + entry_size > b.size()) break;
    const uint64_t tag = get(at, 2), type = get(at + 2, 2);
    const size_t value_at = at + (big ? 12 : 8);
    uint64_t value = 0;
    if (type == 3) value = get(value_at, 2);                    // SHORT
    else if (type == 4) value = get(value_at, 4);               // LONG
    else if (type == 16 && big) value = get(value_at, 8);       // LONG8
    else continue;
    if (tag == 256) width = int64_t(std::min<uint64_t>(value, uint64_t(1) << 40));
    if (tag == 257) height = int64_t(std::min<uint64_t>(value, uint64_t(1) << 40));
  }
  if (width == 0 || height == 0) return {0, 0};
  return {width, height};
}

}  // namespace

std::optional<ImageFormat> sniff_image_format(std::span<const uint8_t> b) {
  using namespace std::string_view_literals;
  if (starts_with(b, "\x89PNG\r\n\x1a\n"sv)) return ImageFormat::png;
  if (starts_with(b, "\xFF\xD8\xFF"sv)) return ImageFormat::jpeg;
  if (starts_with(b, "GIF87a"sv) || starts_with(b, "GIF89a"sv)) return ImageFormat::gif;
  if (starts_with(b, "BM"sv)) return ImageFormat::bmp;
  if (starts_with(b, "RIFF"sv) && starts_with(b, "WEBP"sv, 8)) return ImageFormat::webp;
  // Classic TIFF (42) and BigTIFF (43), either byte order.
  if (starts_with(b, "II*\0"sv) || starts_with(b, "MM\0*"sv) || starts_with(b, "II+\0"sv) ||
      starts_with(b, "MM\0+"sv))
    return ImageFormat::tiff;
  return iso_media_image(b);
}

std::string_view format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::png: return "PNG";
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::gif: return "GIF";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::webp: return "WebP";
    case ImageFormat::tiff: return "TIFF";
    case ImageFormat::heif: return "HEIF";
    case ImageFormat::avif: return "AVIF";
  }
  return "image";
}

// Width and height as the header states them, read without stb_image: stb refuses headers
// whose pixels would pass 1 GiB with a reason that its other format probes then overwrite, and
// a decompression bomb deserves a message with its size. Zero when the header is too short.
std::pair<int64_t, int64_t> header_size(std::span<const uint8_t> b, ImageFormat format) {
  const auto be16 = [&](size_t at) { return int64_t(b[at]) << 8 | b[at + 1]; };
  const auto le16 = [&](size_t at) { return int64_t(b[at + 1]) << 8 | b[at]; };
  const auto be32 = [&](size_t at) { return be16(at) << 16 | be16(at + 2); };
  const auto le32 = [&](size_t at) { return int64_t(int32_t(uint32_t(le16(at + 2) << 16 | le16(at)))); };
  const auto le24 = [&](size_t at) { return int64_t(b[at]) | int64_t(b[at + 1]) << 8 | int64_t(b[at + 2]) << 16; };
  switch (format) {
    case ImageFormat::png:  // IHDR is the first chunk
      if (b.size() >= 24) return {be32(16), be32(20)};
      break;
    case ImageFormat::gif:  // logical screen descriptor
      if (b.size() >= 10) return {le16(6), le16(8)};
      break;
    case ImageFormat::bmp:  // BITMAPINFOHEADER (negative height = top-down rows)
      if (b.size() >= 26 && le32(14) >= 40) return {le32(18), std::abs(le32(22))};
      break;
    case ImageFormat::jpeg:  // the first start-of-frame segment
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
    case ImageFormat::webp:  // the first chunk: VP8X (extended), VP8 (lossy) or VP8L (lossless)
      if (b.size() >= 30 && starts_with(b, "VP8X", 12)) return {le24(24) + 1, le24(27) + 1};
      if (b.size() >= 30 && starts_with(b, "VP8 ", 12)) return {le16(26) & 0x3FFF, le16(28) & 0x3FFF};
      if (b.size() >= 25 && starts_with(b, "VP8L", 12)) {
        const uint32_t bits = uint32_t(le16(21)) | uint32_t(le16(23)) << 16;
        return {int64_t(bits & 0x3FFF) + 1, int64_t(bits >> 14 & 0x3FFF) + 1};
      }
      break;
    case ImageFormat::tiff:
      return tiff_header_size(b);
    case ImageFormat::heif:
    case ImageFormat::avif:
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

}  // namespace vkcap::image
