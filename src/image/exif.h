#pragma once
// EXIF Orientation: finding the tag in a JPEG, PNG or WebP file and turning pixels upright.
// (TIFF keeps it as a tag of its own directory, read with libtiff in decode_tiff.cpp.)
#include <cstdint>
#include <span>

#include "image/image.h"

namespace vkcap::image {

// The Orientation tag (1–8) of IFD0 from a JPEG's APP1 "Exif" segment, a PNG's eXIf chunk or
// a WebP's EXIF chunk;
// 1 (upright) when there is none, it is unreadable, or its value is outside 1–8 (as Pillow's
// exif_transpose, which then leaves the image alone).
int read_exif_orientation(std::span<const uint8_t> file_bytes);

// The image as it should be shown for that Orientation value, exactly as
// PIL.ImageOps.exif_transpose: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose,
// 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise; 1 or anything else
// returns the image unchanged.
Image apply_exif_orientation(const Image& image, int orientation);

}  // namespace vkcap::image
