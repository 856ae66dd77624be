// record_add: y = a + b element-wise.
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_add(vk::Recorder& rec, BufferRef a, BufferRef b, BufferRef y, int64_t count) {
  using namespace ops_detail;
  const std::string op = "add";
  struct {
    uint32_t a_offset, b_offset, y_offset, count;
  } p{};
  p.count = dim(op, "count", count);
  p.a_offset = operand(op, "a", a, p.count);
  p.b_offset = operand(op, "b", b, p.count);
  p.y_offset = operand(op, "y", y, p.count);
  rec.dispatch(kernel(rec, "add", 3, sizeof(p)), {vk::reads(*a.buffer), vk::reads(*b.buffer), vk::writes(*y.buffer)},
               p, flat_groups(p.count));
}

}  // namespace vkcap::kernels
