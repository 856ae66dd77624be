#version 450
// Patches for a strided Conv2d, so that patches · Wᵀ + b (the linear kernel) is the convolution:
//   patches[r - first_row, col] = input(c, oy·stride + ky − pad, ox·stride + kx − pad)
// for output position r = oy·gw + ox, and 0 where that pixel lies in the zero padding.
// gh = (H + 2·pad − k) / stride + 1 (floor, like the conv), gw likewise.
// Column order follows the input's layout, so that neighbouring columns read neighbouring floats:
//   Chw input ([C, H, W], the image):       col = (c·k + ky)·k + kx   (the conv weight's own order)
//   Hwc input ([H·W, C], the token rows):   col = (ky·k + kx)·C + c   (the weight is permuted to match)
// Rows [first_row, first_row + rows) only: large convolutions run as row blocks so the patch
// matrix stays small. One invocation per output element (grid-stride loop), consecutive
// invocations write consecutive floats.
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Pixels { float pixels[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Patches { float patches[]; };

layout(push_constant) uniform Params {
  uint pixels_offset, channels, height, width;
  uint kernel_size, stride, pad, patches_offset;
  uint gw, first_row, rows, hwc;
};

void main() {
  const uint row_len = channels * kernel_size * kernel_size;
  const uint total = rows * row_len;
  const uint step = gl_NumWorkGroups.x * WG;
  for (uint o = gl_GlobalInvocationID.x; o < total; o += step) {
    const uint r = first_row + o / row_len, col = o % row_len;
    const uint oy = r / gw, ox = r % gw;
    uint c, ky, kx;
    if (hwc != 0) {
      const uint tap = col / channels;
      c = col % channels;
      ky = tap / kernel_size;
      kx = tap % kernel_size;
    } else {
      const uint tap = col % (kernel_size * kernel_size);
      c = col / (kernel_size * kernel_size);
      ky = tap / kernel_size;
      kx = tap % kernel_size;
    }
    // Unsigned wrap-around makes positions left of / above the image huge: one test covers both edges.
    const uint iy = oy * stride + ky - pad, ix = ox * stride + kx - pad;
    float v = 0.0;
    if (iy < height && ix < width)
      v = pixels[pixels_offset + (hwc != 0 ? (iy * width + ix) * channels + c : (c * height + iy) * width + ix)];
    patches[patches_offset + o] = v;
  }
}
