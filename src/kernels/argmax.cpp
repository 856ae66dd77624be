// record_argmax: see shaders/argmax.comp (first maximum; NaN only for an all-NaN row).
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_argmax(vk::Recorder& rec, BufferRef x, int rows, int n, BufferRef out_i32) {
  using namespace ops_detail;
  const std::string op = "argmax";
  struct {
    uint32_t x_offset, rows, n, out_offset;
  } p{};
  p.rows = dim(op, "rows", rows);
  p.n = dim(op, "n", n);
  p.x_offset = operand(op, "x", x, uint64_t(p.rows) * p.n);
  p.out_offset = operand(op, "out", out_i32, p.rows);
  Grid g = row_grid(p.rows);
  rec.dispatch(kernel(rec, "argmax", 2, sizeof(p)), {vk::reads(*x.buffer), vk::writes(*out_i32.buffer)}, p, g.x,
               g.y);
}

}  // namespace vkcap::kernels
