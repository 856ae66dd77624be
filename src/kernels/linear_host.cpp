// Host products: sgemm on mapped device memory, then the epilogue (bias, GELU, residual) on
// the host threads. See linear_host.h for when and why.
#include "kernels/linear_host.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <thread>

#include "kernels/linear_half.h"
#include "util/error.h"

namespace vkcap::kernels {
namespace {

constexpr const char* kWhere = "src/kernels/linear_host.cpp";

// The host's view of a BufferRef: its mapped floats from the ref's offset on.
float* host_floats(const BufferRef& ref) {
  void* mapped = ref.buffer->mapped();
  if (!mapped) throw Error(std::string(kWhere) + ": a host product needs mapped buffers");
  return static_cast<float*>(mapped) + ref.offset;
}

// The same GELU forms the shaders compute (gelu.glsl), in double so that they round once.
float gelu(float x, Activation activation) {
  const double v = x;
  if (activation == Activation::GeluErf) return static_cast<float>(0.5 * v * (1.0 + std::erf(v * M_SQRT1_2)));
  const double u = std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v);
  return static_cast<float>(0.5 * v * (1.0 + std::tanh(u)));
}

// Runs body(first_row, end_row) over [0, rows) on every hardware thread (the epilogue's GELU
// costs about as much per element as a few dozen multiply-adds; one thread would leave it
// a sizeable share of a product's time).
template <typename Body>
void for_row_blocks(int rows, const Body& body) {
  const int threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, std::max(1, rows / 16));
  if (threads <= 1) return body(0, rows);
  std::vector<std::jthread> workers;
  const int per = (rows + threads - 1) / threads;
  for (int t = 1; t < threads; ++t)
    workers.emplace_back([&, t] { body(std::min(rows, t * per), std::min(rows, (t + 1) * per)); });
  body(0, std::min(rows, per));
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
    const float* w = weight->f32.data();
    thread_local std::vector<float> widened;
    if (!weight->f16.empty()) {
      widened.resize(weight->f16.size());
      for (size_t i = 0; i < widened.size(); ++i) widened[i] = half_to_float(weight->f16[i]);
      w = widened.data();
    }
    // y may be the residual itself (an in-place residual add): the product then goes to a
    // scratch first, since the activation applies before the residual is added.
    const bool in_place = residual == y;
    thread_local std::vector<float> scratch;
    float* out = y;
    int out_stride = y_stride;
    if (in_place) {
      scratch.resize(static_cast<size_t>(m) * n);
      out = scratch.data();
      out_stride = n;
    }
    const bool out_in = weight->layout == WeightLayout::OutIn;  // [n, k]: multiply by its transpose
    cblas_sgemm(CblasRowMajor, CblasNoTrans, out_in ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, x, x_stride, w,
                out_in ? k : n, 0.0f, out, out_stride);
    const float* bias = weight->bias.empty() ? nullptr : weight->bias.data();
    for_row_blocks(m, [&](int begin, int end) {
      for (int r = begin; r < end; ++r) {
        const float* p = out + static_cast<size_t>(r) * out_stride;
        float* dst = y + static_cast<size_t>(r) * y_stride;
        const float* res = residual ? residual + static_cast<size_t>(r) * residual_stride : nullptr;
        for (int c = 0; c < n; ++c) {
          float v = bias ? p[c] + bias[c] : p[c];
          if (activation != Activation::None) v = gelu(v, activation);
          dst[c] = res ? v + res[c] : v;
        }
      }
    });
  }
};

std::atomic<uint64_t> host_weight_bytes{0};

uint64_t bytes_of(const HostWeight& w) {
  return w.f32.size() * sizeof(float) + w.f16.size() * sizeof(uint16_t) + w.bias.size() * sizeof(float);
}

}  // namespace

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
  if (host_products_enabled(ctx)) return pack_linear_host(w, bias, n, k, layout, type);
  return pack_linear(ctx, w, bias, n, k, layout, type);
}

void record_linear_host(vk::Recorder& rec, const LinearArgs& args, int x_stride, int y_stride, int residual_stride) {
  const PackedWeight& w = *args.w;
  HostProduct product;
  product.weight = w.host;
  product.m = args.m, product.n = w.n, product.k = w.k;
  product.x = host_floats(args.x);
  product.y = host_floats(args.y);
  product.residual = args.residual.buffer ? host_floats(args.residual) : nullptr;
  product.x_stride = x_stride, product.y_stride = y_stride, product.residual_stride = residual_stride;
  if (product.residual == product.y && residual_stride != y_stride)
    throw Error(std::string(kWhere) + ": an in-place residual needs y's row stride");
  product.activation = args.activation;
  rec.host("host_sgemm", product);
}

}  // namespace vkcap::kernels
