// record_topk: see shaders/topk.comp (descending, ties by lower index, NaN ranked last).
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_topk(vk::Recorder& rec, BufferRef x, int rows, int n, int k, BufferRef values, BufferRef indices_i32) {
  using namespace ops_detail;
  const std::string op = "topk";
  constexpr int kMaxK = 64;  // MAX_K in shaders/topk.comp
  struct {
    uint32_t x_offset, rows, n, k, values_offset, indices_offset;
  } p{};
  p.rows = dim(op, "rows", rows);
  p.n = dim(op, "n", n);
  if (k < 1 || k > kMaxK || k > n)
    fail(op, "k = " + std::to_string(k) + " must be in [1, min(64, n = " + std::to_string(n) + ")]");
  p.k = static_cast<uint32_t>(k);
  p.x_offset = operand(op, "x", x, uint64_t(p.rows) * p.n);
  p.values_offset = operand(op, "values", values, uint64_t(p.rows) * p.k);
  p.indices_offset = operand(op, "indices", indices_i32, uint64_t(p.rows) * p.k);
  Grid g = row_grid(p.rows);
  rec.dispatch(kernel(rec, "topk", 3, sizeof(p)),
               {vk::reads(*x.buffer), vk::writes(*values.buffer), vk::writes(*indices_i32.buffer)}, p, g.x, g.y);
}

}  // namespace vkcap::kernels
