#pragma once
// Decoding an image file into 8-bit RGB, the way transformers' `load_image` sees it:
// `PIL.ImageOps.exif_transpose(image).convert("RGB")`.
//
// Formats (recognised by their first bytes, never by the file name):
//  - PNG (1-16 bit, gray, gray+alpha, palette, RGB, RGBA), JPEG (baseline, progressive,
//    grayscale), BMP, GIF (first frame): Debian's stb_image.
//  - WebP (lossy, lossless, with alpha; animated: the first frame): libwebp.
//  - TIFF (8 and 16 bit gray, RGB, palette, with alpha, strips or tiles, any compression
//    libtiff has, JPEG-compressed YCbCr; multi-page: the first page; 1/2/4-bit, CMYK, Lab and
//    uncompressed YCbCr through libtiff's RGBA reader): libtiff.
//  - HEIF/HEIC and AVIF (the primary image): libheif.
//
// Where the bytes can differ from Pillow's (documented so nobody is surprised):
//  - 16-bit samples (PNG, TIFF): every sample becomes its high byte (v >> 8). Pillow 9.4 does
//    the same for 16-bit RGB/RGBA, but opens 16-bit gray as mode "I"/"I;16" and its
//    convert("RGB") clips values above 255 to 255 (a near-white image); we keep the high byte,
//    which is what the picture is.
//  - JPEG: stb_image's IDCT and chroma upsampling are not libjpeg-turbo's, so a JPEG may
//    differ from Pillow by a few levels in some pixels (PNG, BMP, GIF, WebP and 8/16-bit TIFF
//    are exact).
//  - Alpha is dropped, never composited (as convert("RGB")); a transparent GIF pixel is
//    black here, while Pillow gives the palette colour at the transparent index. The TIFF
//    variants that go through libtiff's RGBA reader (above) come premultiplied by their alpha.
//  - Orientation: JPEG and PNG (EXIF), WebP (its EXIF chunk) and TIFF (its Orientation tag)
//    are turned upright as PIL.ImageOps.exif_transpose does. HEIF and AVIF are turned by their
//    own irot/imir transformations, which libheif applies while decoding (always: they are
//    part of the picture as HEIF defines it); an EXIF Orientation inside a HEIF file is not
//    applied on top, as the HEIF standard and libheif say (iPhones write both, the same).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace vkcap::image {

// 8-bit RGB, row-major, 3 bytes per pixel, no padding: rgb.size() == width * height * 3.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;

  const uint8_t* pixel(int x, int y) const { return &rgb[(size_t(y) * width + x) * 3]; }
};

// Refused before any pixel is decoded (Pillow warns at ~89.5 MP and refuses at ~179 MP).
inline constexpr int64_t kMaxImagePixels = 100'000'000;
inline constexpr int kMaxImageSide = 1 << 20;

struct DecodeOptions {
  // Turn the picture upright as its EXIF Orientation tag (1–8) says, like
  // PIL.ImageOps.exif_transpose in transformers' load_image. Read from JPEG APP1 "Exif", PNG
  // eXIf and WebP EXIF chunks and the TIFF Orientation tag (HEIF: see above).
  bool apply_exif_orientation = true;
  // Larger images are refused from their header, before any pixel is decoded.
  int64_t max_pixels = kMaxImagePixels;
};


// For messages: what decode_image reads.
inline constexpr std::string_view kSupportedImageFormats = "PNG, JPEG, BMP, GIF, WebP, TIFF, HEIF/HEIC, AVIF";

// Throws vkcap::Error "<path>: ..." for unreadable, unsupported, corrupt, truncated or too
// large files.
Image decode_image(const std::filesystem::path& path, const DecodeOptions& options = {});

// The same from bytes in memory; `name_for_errors` stands in for the path in messages.
Image decode_image_memory(std::span<const uint8_t> bytes, std::string_view name_for_errors,
                          const DecodeOptions& options = {});

}  // namespace vkcap::image
