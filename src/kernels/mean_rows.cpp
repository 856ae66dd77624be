// record_mean_rows: see shaders/mean_rows.comp.
#include "kernels/bound_window.h"
#include "kernels/ops.h"

namespace vkcap::kernels {

void record_mean_rows(vk::Recorder& rec, BufferRef x, int rows, int cols, int x_stride, BufferRef y) {
  using namespace ops_detail;
  const std::string op = "mean rows";
  struct {
    uint32_t x_offset, x_stride, y_offset, rows, cols;
  } p{};
  p.rows = dim(op, "rows", rows);
  p.cols = dim(op, "cols", cols);
  p.x_stride = x_stride ? dim(op, "x_stride", x_stride, cols) : p.cols;
  BoundOperand in = bind_floats(rec, op, "x", x, uint64_t(p.rows - 1) * p.x_stride + p.cols, vk::Access::Read);
  BoundOperand out = bind_floats(rec, op, "y", y, p.cols, vk::Access::Write);
  if (x.buffer->handle() == y.buffer->handle()) fail(op, "y must not share a buffer with x");
  p.x_offset = in.offset;
  p.y_offset = out.offset;
  rec.dispatch(kernel(rec, "mean_rows", 2, sizeof(p)), {in.use, out.use}, p, flat_groups(p.cols));
}

}  // namespace vkcap::kernels
