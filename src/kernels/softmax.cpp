// record_softmax: see shaders/softmax.comp for the math.
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_softmax(vk::Recorder& rec, BufferRef x, BufferRef y, int rows, int n, bool log) {
  using namespace ops_detail;
  const std::string op = log ? "log_softmax" : "softmax";
  struct {
    uint32_t x_offset, y_offset, rows, n, log_softmax;
  } p{};
  p.rows = dim(op, "rows", rows);
  p.n = dim(op, "n", n);
  uint64_t count = uint64_t(p.rows) * p.n;
  p.x_offset = operand(op, "x", x, count);
  p.y_offset = operand(op, "y", y, count);
  p.log_softmax = log ? 1 : 0;
  Grid g = row_grid(p.rows);
  rec.dispatch(kernel(rec, "softmax", 2, sizeof(p)), {vk::reads(*x.buffer), vk::writes(*y.buffer)}, p, g.x, g.y);
}

}  // namespace vkcap::kernels
