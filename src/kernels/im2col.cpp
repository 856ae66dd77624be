// record_conv_patches / record_im2col: see shaders/im2col.comp for the layout.
#include "kernels/bound_window.h"
#include "kernels/conv.h"
#include "kernels/host_ops.h"
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

int conv_output_size(int in, int kernel, int stride, int padding) {
  if (in < 1 || kernel < 1 || stride < 1 || padding < 0) return 0;
  const int64_t span = int64_t(in) + 2 * int64_t(padding) - kernel;
  return span < 0 ? 0 : int(span / stride + 1);
}

void record_conv_patches(vk::Recorder& rec, BufferRef input, const ConvShape& s, BufferRef patches, int first_row,
                         int rows, bool on_host) {
  using namespace ops_detail;
  const std::string op = "conv patches (im2col)";
  struct {
    uint32_t pixels_offset, channels, height, width;
    uint32_t kernel, stride, pad, patches_offset;
    uint32_t gw, first_row, rows, hwc;
  } p{};
  p.channels = dim(op, "channels", s.channels);
  p.height = dim(op, "height", s.height);
  p.width = dim(op, "width", s.width);
  p.kernel = dim(op, "kernel", s.kernel);
  p.stride = dim(op, "stride", s.stride);
  p.pad = dim(op, "padding", s.padding, 0);
  if (s.padding >= s.kernel)
    fail(op, "padding " + std::to_string(s.padding) + " must be smaller than the kernel " + std::to_string(s.kernel));
  const int gh = s.out_height(), gw = s.out_width();
  if (gh < 1 || gw < 1)
    fail(op, "a " + std::to_string(s.kernel) + "x" + std::to_string(s.kernel) + " kernel does not fit a " +
                 std::to_string(s.height) + "x" + std::to_string(s.width) + " input with padding " +
                 std::to_string(s.padding));
  const int64_t all_rows = int64_t(gh) * gw;
  if (rows == 0) rows = int(all_rows - first_row);
  if (first_row < 0 || rows < 1 || first_row + int64_t(rows) > all_rows)
    fail(op, "rows [" + std::to_string(first_row) + ", " + std::to_string(int64_t(first_row) + rows) +
                 ") are outside the " + std::to_string(all_rows) + " output positions");
  p.gw = uint32_t(gw);
  p.first_row = uint32_t(first_row);
  p.rows = uint32_t(rows);
  p.hwc = s.layout == ImageLayout::Hwc ? 1 : 0;
  const uint64_t total = uint64_t(p.rows) * uint64_t(s.patch_len());
  dim(op, "rows · patch length", int64_t(total));
  if (on_host) {
    if (patches.available() < total) fail(op, "patches hold fewer than " + std::to_string(total) + " floats");
    return record_conv_patches_host(rec, input, s, patches, first_row, rows);
  }
  BoundOperand in = bind_floats(rec, op, "input", input, uint64_t(p.channels) * p.height * p.width, vk::Access::Read);
  BoundOperand out = bind_floats(rec, op, "patches", patches, total, vk::Access::Write);
  p.pixels_offset = in.offset;
  p.patches_offset = out.offset;
  rec.dispatch(kernel(rec, "im2col", 2, sizeof(p)), {in.use, out.use}, p, flat_groups(total));
}

void record_im2col(vk::Recorder& rec, BufferRef pixels, int channels, int height, int width, int patch,
                   BufferRef patches) {
  if (height < patch || width < patch)
    ops_detail::fail("im2col", "a " + std::to_string(height) + "x" + std::to_string(width) +
                                   " image is smaller than one " + std::to_string(patch) + "-pixel patch");
  ConvShape s;
  s.channels = channels, s.height = height, s.width = width;
  s.kernel = s.stride = patch;
  s.padding = 0;
  s.layout = ImageLayout::Chw;
  record_conv_patches(rec, pixels, s, patches);
}

}  // namespace vkcap::kernels
