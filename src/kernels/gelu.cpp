// record_gelu: see shaders/gelu.glsl for the math and accuracy.
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_gelu(vk::Recorder& rec, BufferRef x, BufferRef y, int64_t count, Gelu kind) {
  using namespace ops_detail;
  const std::string op = "gelu";
  struct {
    uint32_t x_offset, y_offset, count, tanh_form;
  } p{};
  p.count = dim(op, "count", count);
  p.x_offset = operand(op, "x", x, p.count);
  p.y_offset = operand(op, "y", y, p.count);
  p.tanh_form = kind == Gelu::Tanh ? 1 : 0;
  rec.dispatch(kernel(rec, "gelu", 2, sizeof(p)), {vk::reads(*x.buffer), vk::writes(*y.buffer)}, p,
               flat_groups(p.count));
}

}  // namespace vkcap::kernels
