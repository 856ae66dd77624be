// record_layer_norm: see shaders/layer_norm.comp (Gpu) and layer_norm_cpu.comp (Cpu) for the math.
#include "kernels/ops.h"
#include "kernels/host_ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

namespace {
struct LayerNormPush {
  uint32_t x_offset, x_stride, residual_offset, residual_stride;
  uint32_t gamma_offset, beta_offset, y_offset, y_stride;
  uint32_t rows, d, has_residual;
  float eps;
};
struct LayerNormCpuPush {
  uint64_t x, residual, gamma, beta, y;
  uint32_t x_stride, residual_stride, y_stride;
  uint32_t rows, d, has_residual;
  float eps;
};
// Elements a strided [rows, d] operand spans.
uint64_t span(uint32_t rows, uint32_t stride, uint32_t d) { return uint64_t(rows - 1) * stride + d; }
}  // namespace

void record_layer_norm(vk::Recorder& rec, const LayerNormArgs& a, vk::KernelVariant variant) {
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
  if (a.on_host) {
    LayerNormArgs resolved = a;
    resolved.x_stride = int(p.x_stride), resolved.y_stride = int(p.y_stride);
    resolved.residual_stride = int(p.residual_stride);
    return record_layer_norm_host(rec, resolved);
  }
  // y may alias x or residual (same row layout): declared as read + write of the same buffer.
  Grid g = row_grid(p.rows);
  if (variant == vk::KernelVariant::Cpu) {
    vk::Context& ctx = rec.context();
    if (!ctx.info().supports_cpu_variant()) fail(op, "the Cpu variant needs buffer device address, int64 and subgroups");
    LayerNormCpuPush c{};
    c.x = a.x.address();
    c.residual = p.has_residual ? a.residual.address() : c.x;
    c.gamma = a.gamma.address();
    c.beta = a.beta.address();
    c.y = a.y.address();
    c.x_stride = p.x_stride;
    c.residual_stride = p.residual_stride;
    c.y_stride = p.y_stride;
    c.rows = p.rows;
    c.d = p.d;
    c.has_residual = p.has_residual;
    c.eps = p.eps;
    // 64-bit loads need every row of every operand to start on an even element.
    auto even = [](uint64_t v) { return v % 2 == 0; };
    const bool pairs = even(p.d) && even(p.x_stride) && even(p.y_stride) && even(p.x_offset) &&
                       even(p.y_offset) && even(p.gamma_offset) && even(p.beta_offset) &&
                       (!p.has_residual || (even(p.residual_stride) && even(p.residual_offset)));
    const vk::Kernel& k =
        ctx.kernel({"layer_norm_cpu", 0, sizeof(c), {ctx.info().subgroup_size, pairs ? 1u : 0u}});
    std::vector<vk::Use> uses{vk::reads_address(*a.x.buffer), vk::reads_address(*a.gamma.buffer),
                              vk::reads_address(*a.beta.buffer), vk::writes_address(*a.y.buffer)};
    if (p.has_residual) uses.push_back(vk::reads_address(*a.residual.buffer));
    rec.dispatch(k, uses, &c, sizeof(c), g.x, g.y);
    return;
  }
  const vk::Kernel& k = kernel(rec, "layer_norm", 5, sizeof(p));
  rec.dispatch(k,
               {vk::reads(*a.x.buffer), vk::reads(residual), vk::reads(*a.gamma.buffer), vk::reads(*a.beta.buffer),
                vk::writes(*a.y.buffer)},
               p, g.x, g.y);
}

void record_layer_norm(vk::Recorder& rec, const LayerNormArgs& a) {
  record_layer_norm(rec, a, rec.context().info().preferred_variant());
}

}  // namespace vkcap::kernels
