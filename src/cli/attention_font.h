#pragma once
// A 5×7 bitmap font (plus two descender rows) for the word labels of attention maps: printable
// ASCII, drawn at an integer scale, so the PNGs need no font file at run time. Other characters
// (UTF-8 code points beyond ASCII, controls) are drawn as '?', one per code point.
#include <array>
#include <cstdint>
#include <string_view>

#include "image/image.h"

namespace vkcap::cli {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 9, kGlyphAdvance = 6;  // advance: 1 column of space

// Width in pixels of `text` at `scale` (no trailing space).
int text_width(std::string_view text, int scale);
// Draws `text` with its top-left corner at (x, y); pixels outside `canvas` are clipped.
void draw_text(image::Image& canvas, int x, int y, std::string_view text, int scale, std::array<uint8_t, 3> colour);

}  // namespace vkcap::cli
