// record_depthwise_conv: see shaders/depthwise_conv.comp.
#include "kernels/bound_window.h"
#include "kernels/conv.h"
#include "kernels/host_ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_depthwise_conv(vk::Recorder& rec, const DepthwiseConvArgs& a) {
  using namespace ops_detail;
  const std::string op = "depthwise conv";
  struct {
    uint32_t x_offset, w_offset, b_offset, y_offset;
    uint32_t height, width, channels, add_input;
  } p{};
  p.height = dim(op, "height", a.height);
  p.width = dim(op, "width", a.width);
  p.channels = dim(op, "channels", a.channels);
  const uint32_t k = dim(op, "kernel", a.kernel);
  if (k % 2 == 0) fail(op, "kernel " + std::to_string(k) + " must be odd (same-size output)");
  if (k > 7) fail(op, "kernel " + std::to_string(k) + " is larger than the supported 7 (a register window of k² floats)");
  p.add_input = a.add_input ? 1 : 0;
  const uint64_t count = uint64_t(p.height) * p.width * p.channels;
  dim(op, "height · width · channels", int64_t(count));
  if (a.x.buffer && a.y.buffer && a.x.buffer->handle() == a.y.buffer->handle())
    fail(op, "y must not share a buffer with x (every output reads its neighbours' inputs)");
  if (a.on_host) return record_depthwise_conv_host(rec, a);
  BoundOperand x = bind_floats(rec, op, "x", a.x, count, vk::Access::Read);
  BoundOperand w = bind_floats(rec, op, "weight", a.weight, uint64_t(p.channels) * k * k, vk::Access::Read);
  BoundOperand b = bind_floats(rec, op, "bias", a.bias, p.channels, vk::Access::Read);
  BoundOperand y = bind_floats(rec, op, "y", a.y, count, vk::Access::Write);
  p.x_offset = x.offset, p.w_offset = w.offset, p.b_offset = b.offset, p.y_offset = y.offset;
  const vk::Kernel& shader = rec.context().kernel({"depthwise_conv", 4, sizeof(p), {kWorkgroup, k}});
  // One invocation per (image row, channel).
  rec.dispatch(shader, {x.use, w.use, b.use, y.use}, p, flat_groups(uint64_t(p.height) * p.channels));
}

}  // namespace vkcap::kernels
