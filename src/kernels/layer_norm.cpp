// record_layer_norm: see shaders/layer_norm.comp for the math.
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

namespace {
struct LayerNormPush {
  uint32_t x_offset, x_stride, residual_offset, residual_stride;
  uint32_t gamma_offset, beta_offset, y_offset, y_stride;
  uint32_t rows, d, has_residual;
  float eps;
};
// Elements a strided [rows, d] operand spans.
uint64_t span(uint32_t rows, uint32_t stride, uint32_t d) { return uint64_t(rows - 1) * stride + d; }
}  // namespace

void record_layer_norm(vk::Recorder& rec, const LayerNormArgs& a) {
  using namespace ops_detail;
  const std::string op = "layer_norm";
  LayerNormPush p{};
  p.rows = dim(op, "rows", a.rows);
  p.d = dim(op, "d", a.d);
  p.x_stride = dim(op, "x_stride", a.x_stride, a.d);
  p.y_stride = dim(op, "y_stride", a.y_stride, a.d);
  if (!(a.eps >= 0.0f)) fail(op, "eps = " + std::to_string(a.eps) + " must be >= 0");
  p.eps = a.eps;
  p.x_offset = operand(op, "x", a.x, span(p.rows, p.x_stride, p.d));
  p.y_offset = operand(op, "y", a.y, span(p.rows, p.y_stride, p.d));
  p.gamma_offset = operand(op, "gamma", a.gamma, p.d);
  p.beta_offset = operand(op, "beta", a.beta, p.d);
  p.has_residual = a.residual.buffer ? 1 : 0;
  const vk::Buffer& residual = p.has_residual ? *a.residual.buffer : *a.x.buffer;
  if (p.has_residual) {
    p.residual_stride = dim(op, "residual_stride", a.residual_stride, a.d);
    p.residual_offset = operand(op, "residual", a.residual, span(p.rows, p.residual_stride, p.d));
  }
  // y may alias x or residual (same row layout): declared as read + write of the same buffer.
  const vk::Kernel& k = kernel(rec, "layer_norm", 5, sizeof(p));
  Grid g = row_grid(p.rows);
  rec.dispatch(k,
               {vk::reads(*a.x.buffer), vk::reads(residual), vk::reads(*a.gamma.buffer), vk::reads(*a.beta.buffer),
                vk::writes(*a.y.buffer)},
               p, g.x, g.y);
}

}  // namespace vkcap::kernels
