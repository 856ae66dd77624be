// Checks on the raw header bytes made before stb_image sees a file.
#include "image/header_check.h"

#include <cstdlib>

namespace vkcap {

// Width and height as the header states them, read without stb_image: stb refuses headers
// whose pixels would pass 1 GiB with a reason that its other format probes then overwrite, and
// a decompression bomb deserves a message with its size. Zero when the header is too short.
std::pair<int64_t, int64_t> header_size(std::span<const uint8_t> b, ImageFormat format) {
  const auto be16 = [&](size_t at) { return int64_t(b[at]) << 8 | b[at + 1]; };
  const auto le16 = [&](size_t at) { return int64_t(b[at + 1]) << 8 | b[at]; };
  const auto be32 = [&](size_t at) { return be16(at) << 16 | be16(at + 2); };
  const auto le32 = [&](size_t at) { return int64_t(int32_t(uint32_t(le16(at + 2) << 16 | le16(at)))); };
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

}  // namespace vkcap
