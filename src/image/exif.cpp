#include "image/exif.h"

#include <libexif/exif-data.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace vkcap::image {
namespace {

uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }

constexpr uint8_t kExifHeader[6] = {'E', 'x', 'i', 'f', 0, 0};

// The APP1 "Exif\0\0" payload of a JPEG, searched among the segments before the first scan
// (Pillow reads APP1 wherever it sits there, not only right after SOI).
std::optional<std::span<const uint8_t>> jpeg_exif(std::span<const uint8_t> b) {
  size_t at = 2;  // after SOI
  while (at + 4 <= b.size()) {
    if (b[at] != 0xFF) return std::nullopt;
    const uint8_t marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      at += 2;  // markers without a length
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan or end: too late
    const size_t length = be16(&b[at + 2]);
    if (length < 2 || at + 2 + length > b.size()) return std::nullopt;
    const auto payload = b.subspan(at + 4, length - 2);
    if (marker == 0xE1 && payload.size() > sizeof kExifHeader &&
        std::memcmp(payload.data(), kExifHeader, sizeof kExifHeader) == 0)
      return payload;
    at += 2 + length;
  }
  return std::nullopt;
}

// The eXIf chunk of a PNG (a bare TIFF structure, without the "Exif\0\0" prefix), wherever
// it sits: Pillow also picks it up after IDAT.
std::optional<std::span<const uint8_t>> png_exif(std::span<const uint8_t> b) {
  size_t at = 8;  // after the signature
  while (at + 12 <= b.size()) {
    const size_t length = be32(&b[at]);
    if (length > b.size() - at - 12) return std::nullopt;
    if (std::memcmp(&b[at + 4], "eXIf", 4) == 0) return b.subspan(at + 8, length);
    if (std::memcmp(&b[at + 4], "IEND", 4) == 0) return std::nullopt;
    at += 12 + length;
  }
  return std::nullopt;
}

// The EXIF chunk of a WebP file (RIFF). The WebP container spec says it holds a bare TIFF
// structure; some writers put "Exif\0\0" in front, which Pillow accepts too.
std::optional<std::span<const uint8_t>> webp_exif(std::span<const uint8_t> b) {
  const auto le32 = [&](size_t at) {
    return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 | uint32_t(b[at + 3]) << 24;
  };
  size_t at = 12;  // after "RIFF", the size and "WEBP"
  while (at + 8 <= b.size()) {
    const size_t length = le32(at + 4);
    if (length > b.size() - at - 8) return std::nullopt;
    if (std::memcmp(&b[at], "EXIF", 4) == 0) return b.subspan(at + 8, length);
    at += 8 + length + (length & 1);  // chunks are padded to an even size
  }
  return std::nullopt;
}

int orientation_from_exif(std::span<const uint8_t> exif);

// A bare TIFF structure (PNG eXIf, WebP EXIF) given to libexif, which wants the APP1 prefix.
int orientation_from_tiff_structure(std::span<const uint8_t> tiff) {
  if (tiff.size() >= sizeof kExifHeader && std::memcmp(tiff.data(), kExifHeader, sizeof kExifHeader) == 0)
    return orientation_from_exif(tiff);
  std::vector<uint8_t> prefixed(kExifHeader, kExifHeader + sizeof kExifHeader);
  prefixed.insert(prefixed.end(), tiff.begin(), tiff.end());
  return orientation_from_exif(prefixed);
}

// Orientation from an "Exif\0\0"-prefixed TIFF block, IFD0 only (IFD1 describes the
// thumbnail, which Pillow's exif_transpose ignores).
int orientation_from_exif(std::span<const uint8_t> exif) {
  std::unique_ptr<ExifData, decltype(&exif_data_unref)> data(exif_data_new(), &exif_data_unref);
  if (!data) return 1;
  // Read the tags as written: "following the specification" would add or repair entries.
  exif_data_unset_option(data.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_load_data(data.get(), exif.data(), static_cast<unsigned>(exif.size()));
  ExifEntry* entry = exif_content_get_entry(data->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (!entry || entry->format != EXIF_FORMAT_SHORT || entry->components < 1 || !entry->data ||
      entry->size < 2)
    return 1;
  const int value = exif_get_short(entry->data, exif_data_get_byte_order(data.get()));
  return value >= 1 && value <= 8 ? value : 1;
}

}  // namespace

int read_exif_orientation(std::span<const uint8_t> b) {
  static constexpr uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
    if (auto exif = jpeg_exif(b)) return orientation_from_exif(*exif);
  } else if (b.size() >= 8 && std::memcmp(b.data(), kPng, 8) == 0) {
    if (auto tiff = png_exif(b)) return orientation_from_tiff_structure(*tiff);
  } else if (b.size() >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 && std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    if (auto tiff = webp_exif(b)) return orientation_from_tiff_structure(*tiff);
  }
  return 1;
}

Image apply_exif_orientation(const Image& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const int W = in.width, H = in.height;
  const bool swaps_sides = orientation >= 5;
  Image out;
  out.width = swaps_sides ? H : W;
  out.height = swaps_sides ? W : H;
  out.rgb.resize(in.rgb.size());
  // For each output pixel (x, y), the source pixel it shows.
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break;          // mirror left-right
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;  // rotate 180°
        case 4: sx = x; sy = H - 1 - y; break;          // flip top-bottom
        case 5: sx = y; sy = x; break;                  // transpose
        case 6: sx = y; sy = H - 1 - x; break;          // rotate 90° clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;  // transverse
        case 8: sx = W - 1 - y; sy = x; break;          // rotate 90° counter-clockwise
      }
      const uint8_t* s = in.pixel(sx, sy);
      uint8_t* d = &out.rgb[(size_t(y) * out.width + x) * 3];
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
  return out;
}

}  // namespace vkcap::image
