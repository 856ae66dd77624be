#pragma once
// What can be read from an image file's header without decoding it, for the checks made
// before stb_image is trusted with the bytes.
#include <cstdint>
#include <span>
#include <utility>

namespace vkcap {

enum class ImageFormat { png, jpeg, gif, bmp };

// Width and height as the header states them (PNG IHDR, GIF screen, BMP info header, JPEG
// start of frame); {0, 0} when the header is too short to say.
std::pair<int64_t, int64_t> header_size(std::span<const uint8_t> bytes, ImageFormat format);

// False when some JPEG DHT segment stb_image could parse declares more than 256 codes in one
// table, which Debian's stb_image would write past its tables on.
bool jpeg_huffman_tables_are_sane(std::span<const uint8_t> bytes);

}  // namespace vkcap
