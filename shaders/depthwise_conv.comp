#version 450
// Depthwise k×k convolution (stride 1, zero padding `pad` = (k − 1) / 2, groups = channels) on
// token rows [H·W, C], optionally with the residual of the input fused in (DaViT's
// `x + dwconv(x)`):
//   y[h, w, c] = residual·x[h, w, c] + b[c] + Σ_{ky,kx} wt[c, ky, kx] · x[h + ky − pad, w + kx − pad, c]
// wt is the conv weight [C, 1, k, k] as stored. One invocation per (image row h, channel c)
// slides a k×k register window along the row: each step loads one new column of k inputs
// instead of k² (and the k² weights once per row). Consecutive invocations take consecutive
// channels, so every load is coalesced. y never aliases x (a neighbour's input would be
// overwritten).
#extension GL_EXT_control_flow_attributes : require
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint K = 3;  // kernel size (odd)
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Wt { float wt[]; };
layout(std430, set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params {
  uint x_offset, w_offset, b_offset, y_offset;
  uint height, width, channels, add_input;
};

const uint PAD = K / 2;
const uint MAX_K = 7;  // array capacity: arrays sized by K itself produced NaNs on lavapipe

// Input column ix (may lie in the padding) of rows h − PAD .. h + PAD, into window column slot.
void load_column(inout float window[MAX_K * MAX_K], uint slot, uint h, uint ix, uint c) {
  [[unroll]] for (uint ky = 0; ky < K; ++ky) {
    const uint iy = h + ky - PAD;  // wraps to huge above the image
    window[slot * K + ky] = (iy < height && ix < width) ? x[x_offset + (iy * width + ix) * channels + c] : 0.0;
  }
}

void main() {
  const uint total = height * channels;
  const uint step = gl_NumWorkGroups.x * WG;
  for (uint item = gl_GlobalInvocationID.x; item < total; item += step) {
    const uint c = item % channels, h = item / channels;
    float weights[MAX_K * MAX_K];
    [[unroll]] for (uint t = 0; t < K * K; ++t) weights[t] = wt[w_offset + c * K * K + t];
    const float b = bias[b_offset + c];
    float window[MAX_K * MAX_K];  // window[kx·K + ky] = input (h + ky − PAD, w + kx − PAD)
    [[unroll]] for (uint kx = 0; kx + 1 < K; ++kx) load_column(window, kx + 1, h, kx - PAD, c);
    for (uint w = 0; w < width; ++w) {
      [[unroll]] for (uint s = 0; s + 1 < K; ++s)
        [[unroll]] for (uint ky = 0; ky < K; ++ky) window[s * K + ky] = window[(s + 1) * K + ky];
      load_column(window, K - 1, h, w + PAD, c);
      float acc = b;
      [[unroll]] for (uint ky = 0; ky < K; ++ky)
        [[unroll]] for (uint kx = 0; kx < K; ++kx) acc += weights[ky * K + kx] * window[kx * K + ky];
      const float centre = window[PAD * K + PAD];
      y[y_offset + (h * width + w) * channels + c] = add_input != 0 ? centre + acc : acc;
    }
  }
}
