// src/kernels/conv.h  (convolutions of the DaViT vision tower: strided patch convs as
// patches + matmul, depthwise 3×3 on token rows)
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/buffer_ref.h"
#include "kernels/linear.h"
#include "vk/recorder.h"

namespace vkcap::kernels {

// How a conv input is stored: Chw = [C, H, W] (pixel_values), Hwc = [H·W, C] (token rows).
enum class ImageLayout { Chw, Hwc };

// Output side of a convolution: floor((in + 2·padding − kernel) / stride) + 1, or 0 when the
// kernel does not fit even once.
int conv_output_size(int in, int kernel, int stride, int padding);

struct ConvShape {
  int channels = 0, height = 0, width = 0;  // the input
  int kernel = 1, stride = 1, padding = 0;
  ImageLayout layout = ImageLayout::Chw;
  int out_height() const { return conv_output_size(height, kernel, stride, padding); }
  int out_width() const { return conv_output_size(width, kernel, stride, padding); }
  int64_t patch_len() const { return int64_t(channels) * kernel * kernel; }
};

// The patch matrix of `shape`'s convolution, output positions [first_row, first_row + rows)
// (rows = 0: all of them), row r = oy·out_width + ox, zeros where the window overlaps the
// padding. Columns are ordered (c, ky, kx) for Chw input and (ky, kx, c) for Hwc input (see
// shaders/im2col.comp); conv_weight_as_linear puts a conv weight in the same order.
// on_host: gathered by a host step (a CPU device's mapped buffers; kernels/host_ops.h).
void record_conv_patches(vk::Recorder& rec, BufferRef input, const ConvShape& shape, BufferRef patches,
                         int first_row = 0, int rows = 0, bool on_host = false);

// A Conv2d weight [out, C, k, k] as stored by PyTorch, as the [out, C·k·k] matrix whose columns
// match record_conv_patches' order for `layout`.
std::vector<float> conv_weight_as_linear(const float* weight, int out_channels, int in_channels, int kernel,
                                         ImageLayout layout);

// y[out_height·out_width, w.n] (token rows) = Conv2d(input) with the weight packed from
// conv_weight_as_linear (w.k must equal shape.patch_len()). Runs as row blocks: the patches of
// at most `scratch`'s capacity (and one storage binding) at a time, each block followed by its
// matmul, so the patch matrix of a large image never exists whole. With a host weight (a CPU
// device) the patches are gathered on the host too (kernels/host_ops.h).
struct Conv2dArgs {
  BufferRef input;
  ConvShape shape;
  const PackedWeight* w = nullptr;
  BufferRef y;
  BufferRef scratch;  // patch rows; its floats from the offset to the end of the buffer are used
};
void record_conv2d(vk::Recorder& rec, const Conv2dArgs& args);
// Rows of patches one block holds with this scratch (for tests and memory planning).
int conv2d_block_rows(const vk::DeviceInfo& info, const ConvShape& shape, uint64_t scratch_floats);

// Depthwise Conv2d (groups = channels, stride 1, bias) on token rows x[H·W, C]:
//   y = (add_input ? x : 0) + dwconv(x),  weight [C, 1, k, k] as stored, bias [C].
// Output size equals input size (padding = (k − 1) / 2 for odd k). y must not share a buffer
// with x.
struct DepthwiseConvArgs {
  BufferRef x, weight, bias, y;
  int height = 0, width = 0, channels = 0;
  int kernel = 3;
  bool add_input = true;
  bool on_host = false;  // a host step on the mapped buffers (a CPU device; kernels/host_ops.h)
};
void record_depthwise_conv(vk::Recorder& rec, const DepthwiseConvArgs& args);

}  // namespace vkcap::kernels
