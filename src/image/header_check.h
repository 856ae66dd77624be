#pragma once
// What can be read from an image file's first bytes without decoding it: which format it is
// (never from the file name), and the size its header claims, for the checks made before a
// decoder is trusted with the bytes.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace vkcap::image {

enum class ImageFormat { png, jpeg, gif, bmp, webp, tiff, heif, avif };

// The format the bytes start like, or nothing. HEIF and AVIF are ISO media files whose `ftyp`
// box names an image brand (heic, heix, mif1, avif, ...) as major or compatible brand; an MP4
// video has no such brand. 64 bytes are enough for every format but a long `ftyp` box list.
std::optional<ImageFormat> sniff_image_format(std::span<const uint8_t> first_bytes);

// "PNG", "JPEG", "WebP", "TIFF", "HEIF", "AVIF", ...
std::string_view format_name(ImageFormat format);

// Width and height as the header states them (PNG IHDR, GIF screen, BMP info header, JPEG
// start of frame, WebP VP8/VP8L/VP8X chunk, TIFF first directory); {0, 0} when the header is
// too short to say, and always for HEIF/AVIF (libheif reports their size before decoding).
std::pair<int64_t, int64_t> header_size(std::span<const uint8_t> bytes, ImageFormat format);

// False when some JPEG DHT segment stb_image could parse declares more than 256 codes in one
// table, which Debian's stb_image would write past its tables on.
bool jpeg_huffman_tables_are_sane(std::span<const uint8_t> bytes);

}  // namespace vkcap::image
