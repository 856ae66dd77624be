// Pillow's separable convolution resampler for 8-bit images (Resample.c), and its
// nearest-neighbour scale (Geometry.c). Every rounding step below is Pillow's; changing any of
// them moves some pixel by one level.
#include "image/resample.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "util/error.h"

namespace vkcap::image {
namespace {

struct Filter {
  double (*weight)(double);
  double support;  // half-width in source pixels at scale 1
};

double box_weight(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_weight(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_weight(double x) {
  x = std::fabs(x);
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x *= std::numbers::pi;
  return std::sin(x) / x * (0.54 + 0.46 * std::cos(x));
}

// Keys' cubic convolution with a = -0.5.
double bicubic_weight(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= std::numbers::pi;
  return std::sin(x) / x;
}

double lanczos_weight(double x) { return (x >= -3.0 && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

Filter filter_for(Resample r) {
  switch (r) {
    case Resample::box: return {box_weight, 0.5};
    case Resample::bilinear: return {bilinear_weight, 1.0};
    case Resample::hamming: return {hamming_weight, 1.0};
    case Resample::bicubic: return {bicubic_weight, 2.0};
    case Resample::lanczos: return {lanczos_weight, 3.0};
    case Resample::nearest: break;
  }
  throw Error("resize: resample filter " + std::to_string(int(r)) + " has no convolution kernel");
}

// Weights are fixed point with 22 fractional bits: 8-bit pixels times weights (|Σk| ≈ 1, a
// few negative lobes) then fit in int32 with 2 bits of headroom.
constexpr int kPrecisionBits = 32 - 8 - 2;

// For each output index along one axis: the first source index and how many follow, and
// the fixed-point weights, `taps` per output index (zero-padded).
struct Coefficients {
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

Coefficients precompute_coefficients(int in_size, int out_size, const Filter& filter) {
  const double scale = double(in_size) / out_size;
  // When shrinking, the kernel is stretched by the scale: this is the antialiasing.
  const double filterscale = std::max(scale, 1.0);
  const double support = filter.support * filterscale;
  Coefficients c;
  c.taps = int(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(size_t(out_size) * c.taps, 0);
  std::vector<double> w(c.taps);
  const double inverse_filterscale = 1.0 / filterscale;  // Pillow multiplies by this
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    // (int) truncates toward zero, as Pillow's C casts do.
    const int xmin = std::max(int(center - support + 0.5), 0);
    const int xmax = std::min(int(center + support + 0.5), in_size) - xmin;
    double sum = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = filter.weight((x + xmin - center + 0.5) * inverse_filterscale);
      sum += w[x];
    }
    int32_t* k = &c.weights[size_t(xx) * c.taps];
    for (int x = 0; x < xmax; ++x) {
      const double normalized = sum != 0.0 ? w[x] / sum : w[x];
      // Round half away from zero: (int)(±0.5 + w·2^22).
      const double scaled = normalized * (1 << kPrecisionBits);
      k[x] = normalized < 0 ? int32_t(-0.5 + scaled) : int32_t(0.5 + scaled);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

uint8_t clip8(int32_t acc) {
  // acc >> 22 with a floor for negatives, clamped to a byte.
  if (acc <= 0) return 0;
  if (acc >= (255 << kPrecisionBits) + (1 << kPrecisionBits)) return 255;
  return uint8_t(acc >> kPrecisionBits);
}

// Rows [row0, row0 + out.height) of `in`, resampled horizontally into `out`.
void resample_horizontal(const Image& in, int row0, Image& out, const Coefficients& c) {
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* src = &in.rgb[size_t(y + row0) * in.width * 3];
    uint8_t* dst = &out.rgb[size_t(y) * out.width * 3];
    for (int xx = 0; xx < out.width; ++xx) {
      const int32_t* k = &c.weights[size_t(xx) * c.taps];
      const uint8_t* s = src + size_t(c.first[xx]) * 3;
      int32_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      for (int x = 0; x < c.count[xx]; ++x)
        for (int ch = 0; ch < 3; ++ch) acc[ch] += int32_t(s[x * 3 + ch]) * k[x];
      for (int ch = 0; ch < 3; ++ch) dst[xx * 3 + ch] = clip8(acc[ch]);
    }
  }
}

// `first_offset` is subtracted from each window start: the input may be only the band of
// rows the windows need.
void resample_vertical(const Image& in, Image& out, const Coefficients& c, int first_offset) {
  const size_t stride = size_t(in.width) * 3;
  for (int yy = 0; yy < out.height; ++yy) {
    const int32_t* k = &c.weights[size_t(yy) * c.taps];
    const uint8_t* src = &in.rgb[size_t(c.first[yy] - first_offset) * stride];
    uint8_t* dst = &out.rgb[size_t(yy) * stride];
    for (size_t i = 0; i < stride; ++i) {
      int32_t acc = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < c.count[yy]; ++y) acc += int32_t(src[y * stride + i]) * k[y];
      dst[i] = clip8(acc);
    }
  }
}

Image blank(int width, int height) {
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(size_t(width) * height * 3);
  return image;
}

// Nearest neighbour is an affine scale in Pillow: the source coordinate starts at half a step
// and advances by repeated addition (the accumulated double is what decides ties).
Image resize_nearest(const Image& in, int width, int height) {
  const auto source_indices = [](int in_size, int out_size) {
    const double step = double(in_size) / out_size;
    std::vector<int> index(out_size);
    double at = step * 0.5;
    for (int i = 0; i < out_size; ++i) {
      index[i] = std::clamp(at < 0.0 ? -1 : int(at), 0, in_size - 1);
      at += step;
    }
    return index;
  };
  const std::vector<int> xs = source_indices(in.width, width);
  const std::vector<int> ys = source_indices(in.height, height);
  Image out = blank(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const uint8_t* s = in.pixel(xs[x], ys[y]);
      std::copy(s, s + 3, &out.rgb[(size_t(y) * width + x) * 3]);
    }
  return out;
}

}  // namespace

Image resize_pillow(const Image& in, int width, int height, Resample resample) {
  if (width <= 0 || height <= 0)
    throw Error("resize: target size " + std::to_string(width) + "x" + std::to_string(height) +
                " must be positive");
  const int r = int(resample);
  if (r < 0 || r > 5) throw Error("resize: unknown resample filter " + std::to_string(r));
  if (in.width == width && in.height == height) return in;
  if (resample == Resample::nearest) return resize_nearest(in, width, height);

  const Filter filter = filter_for(resample);
  const bool need_horizontal = width != in.width;
  const bool need_vertical = height != in.height;
  const Coefficients horizontal = precompute_coefficients(in.width, width, filter);
  const Coefficients vertical = precompute_coefficients(in.height, height, filter);

  // Only the source rows some vertical window touches go through the horizontal pass.
  const int row_first = vertical.first.front();
  const int row_last = vertical.first.back() + vertical.count.back();

  const Image* source = &in;
  int source_row0 = 0;
  Image band;
  if (need_horizontal) {
    band = blank(width, row_last - row_first);
    resample_horizontal(in, row_first, band, horizontal);
    source = &band;
    source_row0 = row_first;
  }
  if (!need_vertical) return band;
  Image out = blank(source->width, height);
  resample_vertical(*source, out, vertical, source_row0);
  return out;
}

}  // namespace vkcap::image
