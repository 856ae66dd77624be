// record_conv2d: a strided Conv2d as row blocks of (patches → matmul), and the weight reordering
// that makes the patch columns and the weight columns agree.
#include <algorithm>

#include "kernels/conv.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

std::vector<float> conv_weight_as_linear(const float* weight, int out_channels, int in_channels, int kernel,
                                         ImageLayout layout) {
  const size_t taps = size_t(kernel) * kernel, row = size_t(in_channels) * taps;
  std::vector<float> out(size_t(out_channels) * row);
  for (size_t o = 0; o < size_t(out_channels); ++o)
    for (size_t c = 0; c < size_t(in_channels); ++c)
      for (size_t t = 0; t < taps; ++t) {
        const float v = weight[o * row + c * taps + t];  // PyTorch order (c, ky, kx)
        out[o * row + (layout == ImageLayout::Chw ? c * taps + t : t * in_channels + c)] = v;
      }
  return out;
}

int conv2d_block_rows(const vk::DeviceInfo& info, const ConvShape& shape, uint64_t scratch_floats) {
  const uint64_t row = uint64_t(std::max<int64_t>(shape.patch_len(), 1));
  // One block must fit the scratch and a single storage binding (the Gpu linear kernel binds it
  // whole; alignment slack of the patch kernel's window included).
  const uint64_t binding_floats = (info.max_storage_buffer_range - 256) / 4;
  const uint64_t rows = std::min(scratch_floats, binding_floats) / row;
  const uint64_t all = uint64_t(std::max(shape.out_height(), 0)) * uint64_t(std::max(shape.out_width(), 0));
  return int(std::min<uint64_t>(rows, std::max<uint64_t>(all, 1)));
}

void record_conv2d(vk::Recorder& rec, const Conv2dArgs& a) {
  using namespace ops_detail;
  const std::string op = "conv2d";
  if (!a.w) fail(op, "no weight");
  if (a.w->k != a.shape.patch_len())
    fail(op, "the weight takes " + std::to_string(a.w->k) + " inputs per output but a patch has " +
                 std::to_string(a.shape.patch_len()) + " (channels " + std::to_string(a.shape.channels) +
                 ", kernel " + std::to_string(a.shape.kernel) + ")");
  if (!a.scratch.buffer || !*a.scratch.buffer) fail(op, "scratch is not set");
  const uint64_t limit = rec.context().info().max_storage_buffer_range;
  if (a.scratch.buffer->size() > limit)
    fail(op, "the scratch buffer (" + std::to_string(a.scratch.buffer->size()) +
                 " bytes) is larger than one storage binding (maxStorageBufferRange " + std::to_string(limit) +
                 "); the matmul binds it whole");
  const int gh = a.shape.out_height(), gw = a.shape.out_width();
  if (gh < 1 || gw < 1) fail(op, "the kernel does not fit the input");
  const int64_t positions = int64_t(gh) * gw;
  const int block = conv2d_block_rows(rec.context().info(), a.shape, a.scratch.available());
  if (block < 1)
    fail(op, "scratch holds " + std::to_string(a.scratch.available()) + " floats, less than one patch row of " +
                 std::to_string(a.shape.patch_len()));
  for (int64_t first = 0; first < positions; first += block) {
    const int rows = int(std::min<int64_t>(block, positions - first));
    record_conv_patches(rec, a.input, a.shape, a.scratch, int(first), rows, a.w->host != nullptr);
    LinearArgs lin;
    lin.w = a.w;
    lin.x = a.scratch;
    lin.m = rows;
    lin.y = BufferRef(*a.y.buffer, a.y.offset + uint64_t(first) * a.w->n);
    lin.shaders_only = true;  // an encoder's product: on the host only through a host weight
    record_linear(rec, lin);
  }
}

}  // namespace vkcap::kernels
