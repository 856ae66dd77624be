// Host products: sgemm on mapped device memory in row blocks, each followed by its epilogue
// (bias, GELU, residual), on the host pool's threads. See linear_host.h for when and why.
#include "kernels/linear_host.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include "kernels/host_epilogue.h"
#include "kernels/host_pool.h"
#include "kernels/linear_half.h"
#include "util/error.h"

namespace vkcap::kernels {
namespace {

constexpr const char* kWhere = "src/kernels/linear_host.cpp";

// Products with up to this many rows are split by columns, larger ones by rows. A column block
// widens its own slice of an fp16 weight into a cache-sized scratch right before its sgemm, and
// the blocks split evenly however few the rows; a row block re-packs the whole weight, which only
// pays when the rows are many (measured with OpenBLAS 0.3.21, 2 threads: 197 rows 110–125 GFLOP/s
// by rows, 165–180 by columns; 577 rows 181–184 against 190–199; 4616 rows 205 against 196–202).
constexpr int kColumnSplitMaxRows = 1024;

// Rows per task: enough that packing the weight panel (once per sgemm call) stays a small
// share of the block's work, few enough that every thread gets several blocks.
int block_rows(int m, int threads) {
  constexpr int kMinRows = 64, kMaxRows = 384;
  const int per_thread = (m + 2 * threads - 1) / (2 * threads);
  return std::clamp(per_thread, std::min(m, kMinRows), kMaxRows);
}

// Columns per task: about 384 (the fastest width measured; 256 and 512 alias in the caches on
// some shapes), as many tasks per thread, a multiple of 16.
int block_columns(int n, int threads) {
  constexpr int kTargetColumns = 384;
  const int per_thread = (n + threads * kTargetColumns - 1) / (threads * kTargetColumns);
  const int columns = (n + threads * per_thread - 1) / (threads * per_thread);
  return std::min(n, (columns + 15) / 16 * 16);
}

struct HostProduct {
  std::shared_ptr<const HostWeight> weight;
  int m = 0, n = 0, k = 0;
  float* x = nullptr;
  float* y = nullptr;
  float* residual = nullptr;
  int x_stride = 0, y_stride = 0, residual_stride = 0;
  Activation activation = Activation::None;

  void operator()() const {
    HostPool& pool = HostPool::instance();
    SingleThreadedBlas single_threaded;
    if (m <= kColumnSplitMaxRows) {
      const int columns = block_columns(n, pool.threads());
      pool.run((n + columns - 1) / columns, [&](int b) {
        const int first = b * columns;
        multiply_columns(first, std::min(n, first + columns));
      });
      return;
    }
    const float* w = weight->f32.data();
    std::vector<float> widened;
    if (!weight->f16.empty()) {  // widened once per product, by every thread
      widened.resize(weight->f16.size());
      const size_t per = (widened.size() + pool.threads() - 1) / pool.threads();
      pool.run(pool.threads(), [&](int t) {
        const size_t end = std::min(widened.size(), (t + 1) * per);
        if (t * per < end) halves_to_floats(&weight->f16[t * per], &widened[t * per], end - t * per);
      });
      w = widened.data();
    }
    const int rows = block_rows(m, pool.threads());
    const int blocks = (m + rows - 1) / rows;
    pool.run(blocks, [&](int b) {
      const int first = b * rows;
      multiply_rows(w, first, std::min(m, first + rows));
    });
  }

  // Columns [first, end) of every row: the weight's slice (widened here if fp16), then the block.
  void multiply_columns(int first, int end) const {
    const int count = end - first;
    const bool out_in = weight->layout == WeightLayout::OutIn;  // [n, k]: its rows are our columns
    if (weight->f16.empty()) {
      multiply_block(out_in ? &weight->f32[static_cast<size_t>(first) * k] : &weight->f32[first], out_in ? k : n, 0, m,
                     first, count);
      return;
    }
    thread_local std::vector<float> slice;
    slice.resize(static_cast<size_t>(count) * k);
    if (out_in) {
      halves_to_floats(&weight->f16[static_cast<size_t>(first) * k], slice.data(), slice.size());
    } else {  // [k, n]: k strided pieces of `count` columns
      for (int i = 0; i < k; ++i)
        halves_to_floats(&weight->f16[static_cast<size_t>(i) * n + first], &slice[static_cast<size_t>(i) * count], count);
    }
    multiply_block(slice.data(), out_in ? k : count, 0, m, first, count);
  }

  // Rows [first, end) of every column, from the whole (widened) weight w.
  void multiply_rows(const float* w, int first, int end) const {
    multiply_block(w, weight->layout == WeightLayout::OutIn ? k : n, first, end - first, 0, n);
  }

  // Rows [row0, row0 + rows) × columns [col0, col0 + cols) of y = act(x·W + b) (+ residual): one
  // sgemm, then the epilogue row by row. w holds those columns of W in the weight's layout, with
  // leading dimension ldw.
  void multiply_block(const float* w, int ldw, int row0, int rows, int col0, int cols) const {
    // y may be the residual itself (an in-place residual add): the product then goes to a
    // scratch first, since the activation applies before the residual is added.
    const bool in_place = residual == y;
    thread_local std::vector<float> scratch;
    float* out = y + static_cast<size_t>(row0) * y_stride + col0;
    int out_stride = y_stride;
    if (in_place) {
      scratch.resize(static_cast<size_t>(rows) * cols);
      out = scratch.data();
      out_stride = cols;
    }
    const bool out_in = weight->layout == WeightLayout::OutIn;  // [n, k]: multiply by its transpose
    cblas_sgemm(CblasRowMajor, CblasNoTrans, out_in ? CblasTrans : CblasNoTrans, rows, cols, k, 1.0f,
                x + static_cast<size_t>(row0) * x_stride, x_stride, w, ldw, 0.0f, out, out_stride);
    const float* bias = weight->bias.empty() ? nullptr : weight->bias.data() + col0;
    for (int r = 0; r < rows; ++r) {
      const size_t row = static_cast<size_t>(row0 + r);
      host_epilogue_row(out + static_cast<size_t>(r) * out_stride, bias,
                        residual ? residual + row * residual_stride + col0 : nullptr, y + row * y_stride + col0, cols,
                        activation);
    }
  }
};

std::atomic<uint64_t> host_weight_bytes{0};

uint64_t bytes_of(const HostWeight& w) {
  return w.f32.size() * sizeof(float) + w.f16.size() * sizeof(uint16_t) + w.bias.size() * sizeof(float);
}

}  // namespace

// Nested or concurrent holders (several workers' host steps) share one setting: the first sets
// OpenBLAS to one thread, the last restores what it found.
namespace {
std::mutex blas_threads_mutex;
int blas_threads_holders = 0;
int blas_threads_before = 1;
}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  std::lock_guard lock(blas_threads_mutex);
  if (blas_threads_holders++ == 0) {
    blas_threads_before = openblas_get_num_threads();
    if (blas_threads_before != 1) openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  std::lock_guard lock(blas_threads_mutex);
  if (--blas_threads_holders == 0 && blas_threads_before != 1) openblas_set_num_threads(blas_threads_before);
}

float* mapped_floats(const BufferRef& ref) {
  void* mapped = ref.buffer->mapped();
  if (!mapped) throw Error(std::string(kWhere) + ": a host product needs mapped buffers");
  return static_cast<float*>(mapped) + ref.offset;
}

uint64_t host_weight_bytes_in_use() { return host_weight_bytes.load(); }

bool host_products_enabled(const vk::Context& ctx) {
  return ctx.host_products() && ctx.info().is_cpu() && ctx.info().device_local_host_visible;
}

PackedWeight pack_linear_host(const float* w, const float* bias, int n, int k, WeightLayout layout, WeightType type) {
  if (!w) throw Error(std::string(kWhere) + ": pack_linear_host: weight pointer is null");
  if (n < 1 || k < 1)
    throw Error(std::string(kWhere) + ": pack_linear_host: weight shape n=" + std::to_string(n) + " k=" +
                std::to_string(k) + " must be at least 1x1");
  auto host = std::shared_ptr<HostWeight>(new HostWeight, [](HostWeight* w) {
    host_weight_bytes -= bytes_of(*w);
    delete w;
  });
  const size_t count = static_cast<size_t>(n) * k;
  if (type == WeightType::F16) {
    host->f16.resize(count);
    for (size_t i = 0; i < count; ++i) host->f16[i] = float_to_half(w[i]);
  } else {
    host->f32.assign(w, w + count);
  }
  if (bias) host->bias.assign(bias, bias + n);
  host->layout = layout;
  host_weight_bytes += bytes_of(*host);
  PackedWeight packed;
  packed.n = n;
  packed.k = k;
  packed.type = type;
  packed.host = std::move(host);
  return packed;
}

PackedWeight pack_linear_for_encoder(vk::Context& ctx, const float* w, const float* bias, int n, int k,
                                     WeightLayout layout, WeightType type) {
  if (!host_products_enabled(ctx)) return pack_linear(ctx, w, bias, n, k, layout, type);
  PackedWeight packed = pack_linear_host(w, bias, n, k, layout, type);
  // No shader reads it, but the layer's other kernels (window attention) take their family from it.
  packed.variant = ctx.info().preferred_variant();
  return packed;
}

void record_linear_host(vk::Recorder& rec, const LinearArgs& args, int x_stride, int y_stride, int residual_stride) {
  const PackedWeight& w = *args.w;
  HostProduct product;
  product.weight = w.host;
  product.m = args.m, product.n = w.n, product.k = w.k;
  product.x = mapped_floats(args.x);
  product.y = mapped_floats(args.y);
  product.residual = args.residual.buffer ? mapped_floats(args.residual) : nullptr;
  product.x_stride = x_stride, product.y_stride = y_stride, product.residual_stride = residual_stride;
  if (product.residual == product.y && residual_stride != y_stride)
    throw Error(std::string(kWhere) + ": an in-place residual needs y's row stride");
  product.activation = args.activation;
  rec.host("host_sgemm", product);
}

}  // namespace vkcap::kernels
