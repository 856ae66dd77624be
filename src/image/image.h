#pragma once
// Decoding an image file into 8-bit RGB, the way transformers' `load_image` sees it:
// `PIL.ImageOps.exif_transpose(image).convert("RGB")`.
//
// Formats (recognised by their first bytes, never by the file name): PNG (1–16 bit, gray,
// gray+alpha, palette, RGB, RGBA), JPEG (baseline, progressive, grayscale), BMP, GIF (first
// frame). Decoding is Debian's stb_image.
//
// Where the bytes can differ from Pillow's (documented so nobody is surprised):
//  - 16-bit PNG: every sample becomes its high byte (v >> 8). Pillow 9.4 does the same for
//    16-bit RGB/RGBA, but opens 16-bit gray as mode "I" and its convert("RGB") clips values
//    above 255 to 255 (a near-white image); we keep the high byte, which is what the picture is.
//  - JPEG: stb_image's IDCT and chroma upsampling are not libjpeg-turbo's, so a JPEG may
//    differ from Pillow by a few levels in some pixels (PNG, BMP and GIF are exact).
//  - Alpha is dropped, never composited (as convert("RGB")); a transparent GIF pixel is
//    black here, while Pillow gives the palette colour at the transparent index.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace vkcap {

// 8-bit RGB, row-major, 3 bytes per pixel, no padding: rgb.size() == width * height * 3.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;

  const uint8_t* pixel(int x, int y) const { return &rgb[(size_t(y) * width + x) * 3]; }
};

struct DecodeOptions {
  // Turn the picture upright as its EXIF Orientation tag (1–8) says, like
  // PIL.ImageOps.exif_transpose in transformers' load_image. Read from JPEG APP1 "Exif" and
  // PNG eXIf chunks.
  bool apply_exif_orientation = true;
};

// Refused before any pixel is decoded (Pillow warns at ~89.5 MP and refuses at ~179 MP).
inline constexpr int64_t kMaxImagePixels = 100'000'000;
inline constexpr int kMaxImageSide = 1 << 20;

// Throws vkcap::Error "<path>: ..." for unreadable, unsupported, corrupt, truncated or too
// large files.
Image decode_image(const std::filesystem::path& path, const DecodeOptions& options = {});

// The same from bytes in memory; `name_for_errors` stands in for the path in messages.
Image decode_image_memory(std::span<const uint8_t> bytes, std::string_view name_for_errors,
                          const DecodeOptions& options = {});

}  // namespace vkcap
