// record_softmax: see shaders/softmax.comp for the math.
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

namespace {

enum class SoftmaxMode : uint32_t { Softmax = 0, LogSoftmax = 1, Statistics = 2 };

void record_softmax_mode(vk::Recorder& rec, BufferRef x, BufferRef y, int rows, int n, SoftmaxMode mode) {
  using namespace ops_detail;
  const std::string op = mode == SoftmaxMode::Softmax      ? "softmax"
                         : mode == SoftmaxMode::LogSoftmax ? "log_softmax"
                                                           : "softmax_stats";
  struct {
    uint32_t x_offset, y_offset, rows, n, mode;
  } p{};
  p.rows = dim(op, "rows", rows);
  p.n = dim(op, "n", n);
  p.x_offset = operand(op, "x", x, uint64_t(p.rows) * p.n);
  p.y_offset = operand(op, "y", y, mode == SoftmaxMode::Statistics ? uint64_t(p.rows) * 2 : uint64_t(p.rows) * p.n);
  p.mode = static_cast<uint32_t>(mode);
  Grid g = row_grid(p.rows);
  rec.dispatch(kernel(rec, "softmax", 2, sizeof(p)), {vk::reads(*x.buffer), vk::writes(*y.buffer)}, p, g.x, g.y);
}

}  // namespace

void record_softmax(vk::Recorder& rec, BufferRef x, BufferRef y, int rows, int n, bool log) {
  record_softmax_mode(rec, x, y, rows, n, log ? SoftmaxMode::LogSoftmax : SoftmaxMode::Softmax);
}

void record_softmax_stats(vk::Recorder& rec, BufferRef x, int rows, int n, BufferRef stats) {
  record_softmax_mode(rec, x, stats, rows, n, SoftmaxMode::Statistics);
}

}  // namespace vkcap::kernels
