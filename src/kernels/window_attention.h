// src/kernels/window_attention.h  (DaViT / Swin window attention without shifts or masks)
#pragma once
#include <cstdint>

#include "kernels/buffer_ref.h"
#include "kernels/linear.h"
#include "vk/recorder.h"

namespace vkcap::kernels {

// An H×W token grid cut into window×window windows after zero padding on the right and bottom.
struct WindowGrid {
  int height = 0, width = 0, window = 1;
  int windows_y() const { return (height + window - 1) / window; }
  int windows_x() const { return (width + window - 1) / window; }
  int windows() const { return windows_y() * windows_x(); }
  int window_area() const { return window * window; }
};

// tokens [H·W, C] → windows [count, window², C] for windows [first, first + count) (row-major
// over the window grid); rows of the zero padding become zeros.
void record_window_partition(vk::Recorder& rec, BufferRef tokens, BufferRef windows, const WindowGrid& grid,
                             int channels, int first = 0, int count = 0);
// The inverse: the in-image rows of windows [first, first + count) back to their tokens (the
// padding rows are dropped). Tokens of other windows are left untouched.
void record_window_merge(vk::Recorder& rec, BufferRef windows, BufferRef tokens, const WindowGrid& grid,
                         int channels, int first = 0, int count = 0);

// Multi-head self-attention inside each window, as DaViT's WindowAttention up to (excluding)
// its output projection:
//   xw = partition(x) (padding rows 0), qkv = xw·Wqkv + b, per window and head
//   o = softmax(q·kᵀ / √head_dim)·v over all window² rows (no mask: padding rows are keys and
//   values too, with q = k = v = the qkv bias), out = merge(o).
// x and out are [H·W, C] token rows; qkv is the [3C, C] weight (q | k | v thirds). The windows
// run in chunks that fit the two scratch buffers (each at most one storage binding): window_rows
// holds C floats and window_qkv 3C floats per window row. Where the qkv weight lives on the host
// (a CPU device) and window_qkv holds 3C floats per token, the whole of it runs as host products
// instead (window_attention_host.h).
struct WindowAttentionArgs {
  BufferRef x;
  WindowGrid grid;
  int channels = 0, heads = 1;
  const PackedWeight* qkv = nullptr;
  BufferRef out;
  BufferRef window_rows, window_qkv;
};
void record_window_attention(vk::Recorder& rec, const WindowAttentionArgs& args);
// Windows per chunk that the scratch buffers allow (0 if not even one).
int window_attention_chunk(const WindowAttentionArgs& args);

}  // namespace vkcap::kernels
