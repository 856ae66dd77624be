#pragma once
// --draw-boxes: Florence-2's region answers drawn over the original image, as a PNG. Each region
// is outlined in its own colour (boxes as rectangles, OCR quadrilaterals and segmentation
// polygons as closed polygons), 2 pixels wide on images up to 600 pixels, wider on larger ones,
// and labelled in a filled tag of the same colour above its first corner (inside the image when
// there is no room above). Coordinates are the answer's, in the original image's pixels.
#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "image/image.h"
#include "vkcap/captioner.h"

namespace vkcap::cli {

// The colour region `index` is drawn in (a fixed palette, repeated).
std::array<uint8_t, 3> region_colour(size_t index);
image::Image render_regions(const image::Image& image, const std::vector<Region>& regions);
// The same, written as a PNG to `out` (the parent directory must exist). Throws vkcap::Error.
void write_regions_png(const std::filesystem::path& out, const image::Image& image, const std::vector<Region>& regions);

}  // namespace vkcap::cli
