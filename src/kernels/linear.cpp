// record_linear: checks a linear call's shapes and records the kernel of the weight's variant
// (linear_cpu.comp for lavapipe-like devices, linear_gpu.comp / linear_gpu_mv.comp otherwise).
#include "kernels/linear.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "kernels/linear_host.h"
#include "kernels/matvec_host.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace vkcap::kernels {

namespace {

constexpr const char* kWhere = "src/kernels/linear.cpp";

// The shape part of every linear kernel's push constants (at the same place in each shader's
// block): rows, columns, inner size (and padded), and the row strides in floats.
struct LinearShape {
  uint32_t m, n, k, kp;
  uint32_t x_stride, y_stride, residual_stride;
};

// Push constants of linear_cpu.comp (std430 push-constant layout: pointers first).
struct CpuPush {
  uint64_t x, w, bias, residual, y;
  LinearShape shape;
  uint32_t ls;
  // linear_cpu_mv.comp's folded layer norm (unused by linear_cpu.comp, whose block ends above).
  uint64_t norm_residual, gamma, beta, norm_out;
  float norm_eps;
};
static_assert(sizeof(CpuPush) <= 128, "the minimum maxPushConstantsSize");
// Push constants of linear_gpu.comp and linear_gpu_mv.comp.
struct GpuPush {
  uint32_t x_offset, residual_offset, y_offset;
  LinearShape shape;
};
static_assert(offsetof(CpuPush, ls) == 68 && offsetof(GpuPush, shape) == 12 && sizeof(GpuPush) == 40,
              "the shaders' push-constant blocks");

LinearShape linear_shape(const LinearArgs& a, uint32_t x_stride, uint32_t y_stride, uint32_t residual_stride) {
  return {static_cast<uint32_t>(a.m), static_cast<uint32_t>(a.w->n), static_cast<uint32_t>(a.w->k),
          static_cast<uint32_t>(a.w->k_padded), x_stride, y_stride, residual_stride};
}

uint32_t activation_code(Activation a) {
  switch (a) {
    case Activation::None: return 0;
    case Activation::GeluErf: return 1;
    case Activation::GeluTanh: return 2;
  }
  return 0;
}

std::string shape_text(int m, int n, int k) {
  return "m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k);
}

void check_operand(const BufferRef& ref, const char* name, int rows, int cols, int stride, const std::string& shape) {
  if (!ref.buffer || !*ref.buffer) throw Error(std::string(kWhere) + ": record_linear: " + name + " has no buffer");
  if (stride < cols)
    throw Error(std::string(kWhere) + ": record_linear: " + name + " row stride " + std::to_string(stride) +
                " is shorter than its " + std::to_string(cols) + " columns (" + shape + ")");
  const uint64_t needed = static_cast<uint64_t>(rows - 1) * stride + cols;
  if (ref.buffer->size() / 4 < ref.offset || ref.available() < needed)
    throw Error(std::string(kWhere) + ": record_linear: " + name + " needs " + std::to_string(needed) +
                " floats from offset " + std::to_string(ref.offset) + " but its buffer holds " +
                std::to_string(ref.buffer->size() / 4) + " (" + shape + ")");
}

// Tiles of the Cpu kernels: rows (and, for the matrix-vector kernel, panels) per workgroup.
// The register budget is 32 vectors: 4·rows·panels accumulators plus the rows' activations.
struct CpuTile {
  uint32_t rows, panels;
};

CpuTile cpu_tile(int m) {
  const uint32_t rows = static_cast<uint32_t>(m);
  if (m > kLinearMatVecMaxRows) return {6, 1};         // linear_cpu.comp
  // Matrix-vector (linear_cpu_mv.comp): every row in one pass so the weights are read once.
  // 1–2 rows leave registers for a second panel (twice the memory streams per lane; up to 2×
  // faster on cache-resident weights, within noise on the LM head); 7–8 rows would spill, so
  // they run as two row groups of ≤ 4 (weights read twice).
  if (m <= 2) return {rows, 2};
  if (m <= 6) return {rows, 1};
  return {(rows + 1) / 2, 1};
}

void record_cpu(vk::Recorder& rec, const LinearArgs& a, uint32_t xs, uint32_t ys, uint32_t rs) {
  const PackedWeight& w = *a.w;
  vk::Context& ctx = rec.context();
  const uint32_t sg = ctx.info().subgroup_size;
  if (static_cast<int>(sg) * 4 != w.panel_width)
    throw Error(std::string(kWhere) + ": record_linear: weight packed for panels of " +
                std::to_string(w.panel_width) + " columns, device subgroup size is " + std::to_string(sg));
  const bool has_residual = a.residual.buffer != nullptr;
  const bool f16 = w.type == WeightType::F16;
  const bool matvec = a.m <= kLinearMatVecMaxRows;
  const CpuTile tile = cpu_tile(a.m);
  const uint32_t rb = tile.rows;
  const bool norm = a.norm != nullptr;  // only reaches here with the matrix-vector kernel
  const bool norm_residual = norm && a.norm->residual.buffer != nullptr;
  const bool norm_writes_out = norm && !a.norm->out_is_scratch;
  const uint32_t act = activation_code(a.activation), bias_flag = w.has_bias() ? 1u : 0u,
                 residual_flag = has_residual ? 1u : 0u;
  const bool texels = w.fetch == WeightFetch::Texels;
  std::vector<uint32_t> constants{sg, rb, act, bias_flag, residual_flag};
  if (matvec)
    constants.insert(constants.end(),
                     {tile.panels, norm ? 1u : 0u, norm_residual ? 1u : 0u, norm_writes_out ? 1u : 0u});
  const vk::Kernel& kernel = ctx.kernel(
      {linear_kernel_family(w, a.m) + (f16 ? "_f16" : ""), 0, sizeof(CpuPush), constants, texels ? 1u : 0u});
  CpuPush push{};
  push.x = a.x.address();
  push.w = w.weight.address();
  push.bias = w.has_bias() ? w.bias.address() : 0;
  push.residual = has_residual ? a.residual.address() : 0;
  push.y = a.y.address();
  push.shape = linear_shape(a, xs, ys, rs);
  push.ls = static_cast<uint32_t>(w.lane_stride);
  // Unused norm operands point at x (valid memory the specialised-out loads could never reach).
  push.norm_residual = norm_residual ? a.norm->residual.address() : push.x;
  push.gamma = norm ? a.norm->gamma.address() : push.x;
  push.beta = norm ? a.norm->beta.address() : push.x;
  push.norm_out = norm ? a.norm->out.address() : push.x;
  push.norm_eps = norm ? a.norm->eps : 0.0f;
  std::vector<vk::Use> uses{vk::reads_address(*a.x.buffer),
                            texels ? vk::reads_texels(w.weight, weight_texel_format(w.type)) : vk::reads_address(w.weight)};
  if (w.has_bias()) uses.push_back(vk::reads_address(w.bias));
  if (has_residual) uses.push_back(vk::reads_address(*a.residual.buffer));
  if (norm) {
    uses.push_back(vk::reads_address(*a.norm->gamma.buffer));
    uses.push_back(vk::reads_address(*a.norm->beta.buffer));
    if (norm_residual) uses.push_back(vk::reads_address(*a.norm->residual.buffer));
    if (norm_writes_out) uses.push_back(vk::writes_address(*a.norm->out.buffer));
  }
  uses.push_back(vk::writes_address(*a.y.buffer));
  const uint32_t panels = static_cast<uint32_t>((w.n + w.panel_width - 1) / w.panel_width);
  const uint32_t panel_groups = (panels + tile.panels - 1) / tile.panels;
  const uint32_t row_groups = (static_cast<uint32_t>(a.m) + rb - 1) / rb;
  rec.dispatch(kernel, uses, &push, sizeof(push), row_groups, panel_groups);
}

void record_gpu(vk::Recorder& rec, const LinearArgs& a, uint32_t xs, uint32_t ys, uint32_t rs) {
  const PackedWeight& w = *a.w;
  vk::Context& ctx = rec.context();
  const bool has_residual = a.residual.buffer != nullptr;
  const bool f16 = w.type == WeightType::F16;
  GpuPush push{};
  push.x_offset = static_cast<uint32_t>(a.x.offset);
  push.residual_offset = has_residual ? static_cast<uint32_t>(a.residual.offset) : 0;
  push.y_offset = static_cast<uint32_t>(a.y.offset);
  push.shape = linear_shape(a, xs, ys, rs);
  const uint32_t act = activation_code(a.activation);
  const uint32_t bias_flag = w.has_bias() ? 1u : 0u, residual_flag = has_residual ? 1u : 0u;
  const bool matvec = a.m <= kLinearMatVecMaxRows;
  // Tiles of the matmul: 64×64 with 4×4 per thread (256 threads) on GPUs; 32×32 (64 threads) on
  // CPU devices, where this variant only runs in tests.
  const uint32_t tile = ctx.info().is_cpu() ? 32 : 64, bk = 16, tm = 4, tn = 4;
  const uint32_t threads = (tile / tm) * (tile / tn);
  const std::string shader = linear_kernel_family(w, a.m) + (f16 ? "_f16" : "");
  const vk::Kernel& kernel =
      matvec ? ctx.kernel({shader, 5, sizeof(GpuPush), {64u, act, bias_flag, residual_flag}})
             : ctx.kernel({shader, 5, sizeof(GpuPush), {tile, tile, bk, tm, tn, act, bias_flag, residual_flag, threads}});

  // A weight larger than one storage-buffer binding (GPT-2's fp32 LM head is 154 MB; lavapipe and
  // many mobile GPUs bind at most 128 MiB) runs as several dispatches over column ranges, each
  // binding its rows of W [N, Kp] and of the bias. Ranges start at multiples of 256 columns, so
  // both windows start at multiples of 256 bytes: aligned for any minStorageBufferOffsetAlignment.
  constexpr uint64_t kColumnAlign = 256;
  const uint64_t row_bytes = uint64_t(w.k_padded) * (f16 ? 2 : 4);
  const uint64_t n = static_cast<uint64_t>(w.n);
  uint64_t columns = n;
  if (w.weight.size() > ctx.info().max_storage_buffer_range) {
    columns = ctx.info().max_storage_buffer_range / row_bytes / kColumnAlign * kColumnAlign;
    if (columns == 0)
      throw Error(std::string(kWhere) + ": record_linear: one weight row (" + std::to_string(row_bytes) +
                  " bytes) times 256 exceeds the device's storage-buffer range");
  }
  for (uint64_t first = 0; first < n; first += columns) {
    const uint64_t count = std::min(columns, n - first);
    GpuPush p = push;
    p.shape.n = static_cast<uint32_t>(count);
    p.y_offset += static_cast<uint32_t>(first);
    if (has_residual) p.residual_offset += static_cast<uint32_t>(first);
    const vk::Use weight = columns == n ? vk::reads(w.weight) : vk::reads_window(w.weight, first * row_bytes, count * row_bytes);
    const vk::Use bias = !w.has_bias() ? weight
                         : columns == n ? vk::reads(w.bias)
                                        : vk::reads_window(w.bias, first * 4, count * 4);
    // Absent bias / residual bindings are filled with the weight window (never read).
    std::vector<vk::Use> uses{vk::reads(*a.x.buffer), weight, bias, has_residual ? vk::reads(*a.residual.buffer) : weight,
                              vk::writes(*a.y.buffer)};
    if (matvec) {
      const uint32_t gx = std::min<uint32_t>(p.shape.n, 32768), gy = (p.shape.n + gx - 1) / gx;
      rec.dispatch(kernel, uses, &p, sizeof(p), gx, gy);
    } else {
      rec.dispatch(kernel, uses, &p, sizeof(p), (p.shape.n + tile - 1) / tile, (static_cast<uint32_t>(a.m) + tile - 1) / tile);
    }
  }
}

}  // namespace

void record_linear(vk::Recorder& rec, const LinearArgs& args) {
  if (!args.w) throw Error(std::string(kWhere) + ": record_linear: no weight");
  const PackedWeight& w = *args.w;
  if (!w.weight && !w.host) throw Error(std::string(kWhere) + ": record_linear: weight buffer is empty");
  const std::string shape = shape_text(args.m, w.n, w.k);
  if (args.m < 1) throw Error(std::string(kWhere) + ": record_linear: m must be at least 1 (" + shape + ")");
  const int xs = args.x_stride ? args.x_stride : w.k;
  const int ys = args.y_stride ? args.y_stride : w.n;
  const int rs = args.residual_stride ? args.residual_stride : w.n;
  check_operand(args.x, "x", args.m, w.k, xs, shape);
  check_operand(args.y, "y", args.m, w.n, ys, shape);
  if (args.residual.buffer) check_operand(args.residual, "residual", args.m, w.n, rs, shape);
  if (args.x.buffer->handle() == args.y.buffer->handle()) {
    const uint64_t x_end = args.x.offset + static_cast<uint64_t>(args.m - 1) * xs + w.k;
    const uint64_t y_end = args.y.offset + static_cast<uint64_t>(args.m - 1) * ys + w.n;
    if (args.x.offset < y_end && args.y.offset < x_end)
      throw Error(std::string(kWhere) + ": record_linear: y overlaps x in the same buffer (" + shape + ")");
  }
  const bool host_matvec = !args.shaders_only && matvec_on_host(rec.context(), w, args.m);
  if (args.norm) {
    const InputNorm& nm = *args.norm;
    const std::string what = std::string(kWhere) + ": record_linear: norm ";
    if (nm.residual.buffer) check_operand(nm.residual, "norm residual", args.m, w.k, xs, shape);
    check_operand(nm.out, "norm out", args.m, w.k, xs, shape);
    check_operand(nm.gamma, "norm gamma", 1, w.k, w.k, shape);
    check_operand(nm.beta, "norm beta", 1, w.k, w.k, shape);
    for (const BufferRef* other : {&args.x, &nm.residual, &args.y})
      if (other->buffer && other->buffer->handle() == nm.out.buffer->handle())
        throw Error(what + "out must not share a buffer with x, the norm residual or y (" + shape + ")");
    if (!(nm.eps >= 0.0f)) throw Error(what + "eps must be >= 0 (" + shape + ")");
    if (host_matvec || !linear_folds_norm(w, args.m)) {
      // Other kernels: the layer norm as its own dispatch, then the linear on its output.
      LayerNormArgs ln;
      ln.x = args.x, ln.x_stride = xs, ln.residual = nm.residual, ln.residual_stride = nm.residual.buffer ? xs : 0;
      ln.gamma = nm.gamma, ln.beta = nm.beta, ln.y = nm.out, ln.y_stride = xs, ln.rows = args.m, ln.d = w.k;
      ln.eps = nm.eps;
      ln.on_host = host_matvec;  // beside its product: no GPU segment between them
      record_layer_norm(rec, ln);
      LinearArgs plain = args;
      plain.norm = nullptr;
      plain.x = nm.out;
      record_linear(rec, plain);
      return;
    }
  }
  if (w.host)
    record_linear_host(rec, args, xs, ys, rs);
  else if (host_matvec)
    record_matvec_host(rec, args, xs, ys, rs);
  else if (w.variant == vk::KernelVariant::Cpu)
    record_cpu(rec, args, static_cast<uint32_t>(xs), static_cast<uint32_t>(ys), static_cast<uint32_t>(rs));
  else
    record_gpu(rec, args, static_cast<uint32_t>(xs), static_cast<uint32_t>(ys), static_cast<uint32_t>(rs));
}

bool linear_folds_norm(const PackedWeight& w, int m) {
  // Measured on lavapipe (BLIP-base fp16, beam 3): folding into every 3-row product, the 30524-row
  // LM head included, took a step from 71–73 to 101–137 ms; 1-row products of ≤ 3072 columns
  // were as fast or faster folded (bench kernels: layer_norm+... vs ...+folded_norm).
  return !w.host && w.variant == vk::KernelVariant::Cpu && m <= 2 && w.n <= 4096;
}

std::string linear_kernel_family(const PackedWeight& w, int m) {
  if (w.host) return "host_sgemm";
  const bool cpu = w.variant == vk::KernelVariant::Cpu;
  return std::string(cpu ? "linear_cpu" : "linear_gpu") + (m <= kLinearMatVecMaxRows ? "_mv" : "") +
         (cpu && w.fetch == WeightFetch::Texels ? "_texels" : "");
}

double linear_flops(const LinearArgs& args) {
  if (!args.w) return 0;
  return 2.0 * args.m * static_cast<double>(args.w->n) * args.w->k;
}

}  // namespace vkcap::kernels
