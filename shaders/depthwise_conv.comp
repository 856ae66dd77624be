#version 450
// Depthwise k×k convolution (stride 1, zero padding `pad`, groups = channels) on token rows
// [H·W, C], optionally with the residual of the input fused in (DaViT's `x + dwconv(x)`):
//   y[h, w, c] = residual·x[h, w, c] + b[c] + Σ_{ky,kx} wt[c, ky, kx] · x[h + ky − pad, w + kx − pad, c]
// wt is the conv weight [C, 1, k, k] as stored. One invocation per output element (grid-stride),
// consecutive invocations handle consecutive channels, so every read of x is coalesced. y never
// aliases x (a neighbour's input would be overwritten).
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Wt { float wt[]; };
layout(std430, set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, w_offset, b_offset, y_offset;
  uint height, width, channels, kernel_size;
  uint pad, add_input;
};

void main() {
  const uint total = height * width * channels;
  const uint step = gl_NumWorkGroups.x * WG;
  for (uint o = gl_GlobalInvocationID.x; o < total; o += step) {
    const uint c = o % channels, pos = o / channels;
    const uint h = pos / width, w = pos % width;
    float acc = bias[b_offset + c];
    const uint wb = w_offset + c * kernel_size * kernel_size;
    for (uint ky = 0; ky < kernel_size; ++ky) {
      const uint iy = h + ky - pad;  // wraps to huge above the image
      if (iy >= height) continue;
      for (uint kx = 0; kx < kernel_size; ++kx) {
        const uint ix = w + kx - pad;
        if (ix >= width) continue;
        acc += wt[wb + ky * kernel_size + kx] * x[x_offset + (iy * width + ix) * channels + c];
      }
    }
    y[y_offset + o] = add_input != 0 ? x[x_offset + o] + acc : acc;
  }
}
