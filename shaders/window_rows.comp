#version 450
// Moves token rows between the image layout [H·W, C] and the window layout
// [windows, ws·ws, C] of window attention (Swin/DaViT): the grid is zero-padded on the right and
// bottom to Hp × Wp (multiples of ws) and cut into ws×ws windows, numbered row-major over the
// windows (wy·(Wp/ws) + wx), tokens row-major inside a window.
//   partition (merge = 0): win[j] = tokens[(y, x)]  if (y, x) lies in the image, else 0
//   merge     (merge = 1): tokens[(y, x)] = win[j]  for the in-image rows only (padding cropped)
// with window row j = w·ws² + (dy·ws + dx) and (y, x) = (wy·ws + dy, wx·ws + dx). Only windows
// [first_window, first_window + windows) are handled (window-row j counts from the first), so
// window attention can run in chunks. One invocation per window-layout element (grid-stride).
layout(constant_id = 0) const uint WG = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Src { float src[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Dst { float dst[]; };

layout(push_constant) uniform Params {
  uint src_offset, dst_offset, height, width;
  uint channels, window_size, windows_x, first_window;
  uint windows, merge;
};

void main() {
  const uint area = window_size * window_size;
  const uint total = windows * area * channels;
  const uint step = gl_NumWorkGroups.x * WG;
  for (uint o = gl_GlobalInvocationID.x; o < total; o += step) {
    const uint c = o % channels, j = o / channels;
    const uint win = first_window + j / area, inside = j % area;
    const uint y = (win / windows_x) * window_size + inside / window_size;
    const uint x = (win % windows_x) * window_size + inside % window_size;
    const bool in_image = y < height && x < width;
    const uint token = (y * width + x) * channels + c;
    if (merge == 0)
      dst[dst_offset + o] = in_image ? src[src_offset + token] : 0.0;
    else if (in_image)
      dst[dst_offset + token] = src[src_offset + o];
  }
}
