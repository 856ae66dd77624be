// record_window_partition / record_window_merge: see shaders/window_rows.comp.
#include "kernels/bound_window.h"
#include "kernels/window_attention.h"

namespace vkcap::kernels {

namespace {

void record_window_rows(vk::Recorder& rec, BufferRef tokens, BufferRef windows, const WindowGrid& g, int channels,
                        int first, int count, bool merge) {
  using namespace ops_detail;
  const std::string op = merge ? "window merge" : "window partition";
  struct {
    uint32_t src_offset, dst_offset, height, width;
    uint32_t channels, window_size, windows_x, first_window;
    uint32_t windows, merge;
  } p{};
  p.height = dim(op, "height", g.height);
  p.width = dim(op, "width", g.width);
  p.window_size = dim(op, "window", g.window);
  p.channels = dim(op, "channels", channels);
  if (count == 0) count = g.windows() - first;
  if (first < 0 || count < 1 || first + count > g.windows())
    fail(op, "windows [" + std::to_string(first) + ", " + std::to_string(first + count) + ") are outside the " +
                 std::to_string(g.windows()) + " windows of a " + std::to_string(g.height) + "x" +
                 std::to_string(g.width) + " grid");
  p.windows_x = uint32_t(g.windows_x());
  p.first_window = uint32_t(first);
  p.windows = uint32_t(count);
  p.merge = merge ? 1 : 0;
  const uint64_t window_floats = uint64_t(count) * g.window_area() * p.channels;
  const uint64_t token_floats = uint64_t(p.height) * p.width * p.channels;
  dim(op, "window rows · channels", int64_t(window_floats));
  BoundOperand src = merge ? bind_floats(rec, op, "windows", windows, window_floats, vk::Access::Read)
                           : bind_floats(rec, op, "tokens", tokens, token_floats, vk::Access::Read);
  // A merge writes only some tokens; the rest must survive, so the binding is an update.
  BoundOperand dst = merge ? bind_floats(rec, op, "tokens", tokens, token_floats, vk::Access::ReadWrite)
                           : bind_floats(rec, op, "windows", windows, window_floats, vk::Access::Write);
  if (tokens.buffer->handle() == windows.buffer->handle()) fail(op, "tokens and windows must be different buffers");
  p.src_offset = src.offset;
  p.dst_offset = dst.offset;
  rec.dispatch(kernel(rec, "window_rows", 2, sizeof(p)), {src.use, dst.use}, p, flat_groups(window_floats));
}

}  // namespace

void record_window_partition(vk::Recorder& rec, BufferRef tokens, BufferRef windows, const WindowGrid& grid,
                             int channels, int first, int count) {
  record_window_rows(rec, tokens, windows, grid, channels, first, count, false);
}

void record_window_merge(vk::Recorder& rec, BufferRef windows, BufferRef tokens, const WindowGrid& grid,
                         int channels, int first, int count) {
  record_window_rows(rec, tokens, windows, grid, channels, first, count, true);
}

}  // namespace vkcap::kernels
