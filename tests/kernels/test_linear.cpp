// linear kernels (src/kernels/linear.h): every path (gpu; cpu reading the weights by address and
// as texels), fp32 / fp16 weights, both weight layouts, the fused epilogue (bias, GELU erf / tanh,
// residual) against a plain double reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/linear.h"
#include "kernels/linear_half.h"
#include "kernels/linear_host.h"
#include "util/error.h"

namespace vkcap::test {
namespace {

using kernels::Activation;
using kernels::WeightLayout;
using kernels::WeightFetch;
using kernels::WeightType;
using vk::KernelVariant;

// A kernel family and, for the Cpu family, how it reads the weights: every path is tested.
struct LinearPath {
  KernelVariant variant = KernelVariant::Cpu;
  WeightFetch fetch = WeightFetch::Texels;
  bool host = false;  // a host product (OpenBLAS on the mapped buffers, kernels/linear_host.h)
  std::string name() const {
    if (host) return "host sgemm";
    if (variant == KernelVariant::Gpu) return "gpu";
    return fetch == WeightFetch::Texels ? "cpu texels" : "cpu addresses";
  }
};

struct Case {
  int m = 1, n = 1, k = 1;
  LinearPath path;
  WeightType type = WeightType::F32;
  WeightLayout layout = WeightLayout::OutIn;
  Activation activation = Activation::None;
  bool bias = true;
  bool residual = false;
  bool in_place = false;  // y aliases residual
  float x_scale = 1.0f, w_scale = 1.0f;
  int x_pad = 0, y_pad = 0;  // extra floats per row (strides k + x_pad, n + y_pad)
  uint32_t seed = 1;

  std::string name() const {
    std::ostringstream s;
    s << path.name() << (type == WeightType::F16 ? " f16" : " f32")
      << (layout == WeightLayout::OutIn ? " [N,K]" : " [K,N]") << " m=" << m << " n=" << n << " k=" << k
      << " act=" << static_cast<int>(activation) << (bias ? " bias" : "") << (residual ? " residual" : "")
      << (in_place ? " in-place" : "") << " x*" << x_scale << " w*" << w_scale;
    return s.str();
  }
};

std::vector<LinearPath> paths() {
  std::vector<LinearPath> v{{KernelVariant::Gpu, WeightFetch::Addresses}};
  if (gpu().info().supports_cpu_variant() && gpu().info().subgroup_size >= 8) {
    v.push_back({KernelVariant::Cpu, WeightFetch::Addresses});
    if (gpu().info().texel_formats) v.push_back({KernelVariant::Cpu, WeightFetch::Texels});
  }
  if (kernels::host_products_enabled(gpu())) v.push_back({KernelVariant::Cpu, WeightFetch::Addresses, true});
  return v;
}

kernels::PackedWeight pack_for(const LinearPath& path, const float* w, const float* bias, int n, int k,
                               WeightLayout layout, WeightType type) {
  if (path.host) return kernels::pack_linear_host(w, bias, n, k, layout, type);
  return kernels::pack_linear(gpu(), w, bias, n, k, layout, type, path.variant, path.fetch);
}

double activate(double v, Activation a) {
  if (a == Activation::GeluErf) return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  if (a == Activation::GeluTanh)
    return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  return v;
}

// Everything one case needs on the device, plus its host inputs.
struct Prepared {
  Case c;
  std::vector<float> x, w, bias, residual;  // w in c.layout
  std::unique_ptr<GuardedBuffer> x_buf, y_buf, residual_buf;
  kernels::PackedWeight packed;
};

float w_at(const Prepared& p, int col, int kk) {
  return p.c.layout == WeightLayout::OutIn ? p.w[static_cast<size_t>(col) * p.c.k + kk]
                                           : p.w[static_cast<size_t>(kk) * p.c.n + col];
}

Prepared prepare(const Case& c) {
  Prepared p;
  p.c = c;
  const int xs = c.k + c.x_pad, ys = c.n + c.y_pad;
  p.x = random_values(static_cast<size_t>(c.m) * xs, c.seed, -c.x_scale, c.x_scale);
  p.w = random_values(static_cast<size_t>(c.n) * c.k, c.seed + 1, -c.w_scale, c.w_scale);
  if (c.bias) p.bias = random_values(c.n, c.seed + 2, -1.0f, 1.0f);
  if (c.residual) p.residual = random_values(static_cast<size_t>(c.m) * ys, c.seed + 3, -2.0f, 2.0f);
  p.x_buf = std::make_unique<GuardedBuffer>(p.x);
  if (c.in_place) {
    p.y_buf = std::make_unique<GuardedBuffer>(p.residual);
  } else {
    p.y_buf = std::make_unique<GuardedBuffer>(static_cast<size_t>(c.m) * ys, 7.0f);
    if (c.residual) p.residual_buf = std::make_unique<GuardedBuffer>(p.residual);
  }
  p.packed = pack_for(c.path, p.w.data(), c.bias ? p.bias.data() : nullptr, c.n, c.k, c.layout, c.type);
  return p;
}

void record(vk::Recorder& rec, const Prepared& p) {
  kernels::LinearArgs args;
  args.w = &p.packed;
  args.x = p.x_buf->ref();
  args.m = p.c.m;
  args.x_stride = p.c.x_pad ? p.c.k + p.c.x_pad : 0;
  args.y = p.y_buf->ref();
  args.y_stride = p.c.y_pad ? p.c.n + p.c.y_pad : 0;
  args.activation = p.c.activation;
  if (p.c.in_place) args.residual = p.y_buf->ref();
  else if (p.c.residual) args.residual = p.residual_buf->ref();
  args.residual_stride = args.y_stride;
  kernels::record_linear(rec, args);
}

// The reference y (double) with the weights as given or rounded to fp16, and L1 = Σ|x·w| per
// output (the scale of the rounding error of the dot product).
struct Reference {
  std::vector<double> y;   // m × ys, padding columns hold the value the kernel must leave
  double max_l1 = 0;
  double max_residual = 0;
};

Reference reference(const Prepared& p, bool round_weights) {
  const Case& c = p.c;
  const int xs = c.k + c.x_pad, ys = c.n + c.y_pad;
  Reference r;
  r.y.assign(static_cast<size_t>(c.m) * ys, 7.0);
  if (c.in_place)
    for (size_t i = 0; i < r.y.size(); ++i) r.y[i] = p.residual[i];  // padding of an in-place y
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) {
      double sum = 0, l1 = 0;
      for (int kk = 0; kk < c.k; ++kk) {
        const float wv = round_weights ? kernels::round_to_half(w_at(p, j, kk)) : w_at(p, j, kk);
        const double term = static_cast<double>(p.x[static_cast<size_t>(i) * xs + kk]) * wv;
        sum += term;
        l1 += std::abs(term);
      }
      if (c.bias) sum += p.bias[j];
      double v = activate(sum, c.activation);
      const size_t at = static_cast<size_t>(i) * ys + j;
      if (c.residual) {
        v += p.residual[at];
        r.max_residual = std::max(r.max_residual, std::abs(static_cast<double>(p.residual[at])));
      }
      r.y[at] = v;
      r.max_l1 = std::max(r.max_l1, l1);
    }
  return r;
}

// fp32 budget: a dot product of K terms accumulated in fp32 drifts like a random walk, so the
// bound is 3e-7·√K·L1 (L1 = Σ|x·w|, about 5 fp32 ulps of it per √K), plus 2e-6·√K relative for
// the epilogue (erf/exp approximations) and 2 ulps of the residual.
Tolerance fp32_budget(const Case& c, const Reference& r) {
  Tolerance t = Tolerance::for_reduction(c.k, 3e-7 * std::max(r.max_l1, 1e-30), 2e-6);
  t.abs += 2.4e-7 * r.max_residual + 1e-30;
  return t;
}

void run(const std::vector<Case>& cases) {
  std::vector<Prepared> prepared;
  prepared.reserve(cases.size());
  for (const Case& c : cases) prepared.push_back(prepare(c));
  vk::Recorder rec(gpu());
  for (const Prepared& p : prepared) record(rec, p);
  rec.submit();
  for (const Prepared& p : prepared) {
    const std::vector<float> y = p.y_buf->read();
    CHECK_MESSAGE(p.y_buf->guards_intact(), p.c.name());
    if (p.c.type == WeightType::F32) {
      const Reference r = reference(p, false);
      expect_close(y, r.y, fp32_budget(p.c, r), p.c.name());
    } else {
      // Tight: against the fp32 reference of the fp16-rounded weights (the kernel's own maths).
      const Reference rounded = reference(p, true);
      expect_close(y, rounded.y, fp32_budget(p.c, rounded), p.c.name() + " vs rounded weights");
      // Loose: against the unrounded weights. Rounding to fp16 moves each weight by at most
      // 2^-11 relative (plus 2^-25 absolute for subnormals), so y moves by at most
      // 2^-11·L1 (+ 2^-25·Σ|x|), times the activation's slope (≤ 1.13).
      const Reference exact = reference(p, false);
      double x_l1 = 0;
      for (float v : p.x) x_l1 = std::max<double>(x_l1, std::abs(v));
      Tolerance loose = fp32_budget(p.c, exact);
      loose.abs += 1.13 * (std::ldexp(exact.max_l1, -11) + std::ldexp(x_l1 * p.c.k, -25));
      expect_close(y, exact.y, loose, p.c.name() + " vs fp32 weights");
    }
  }
}

}  // namespace

TEST_CASE("linear: every M, N, K edge (rows, panels, k blocks) matches the reference, fp32 and fp16") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      std::vector<Case> cases;
      uint32_t seed = 10;
      for (int m : {1, 2, 3, 7, 8, 9, 13, 69})
        for (int n : {1, 3, 31, 33, 100})
          for (int k : {1, 5, 17, 64, 129}) {
            Case c;
            c.m = m, c.n = n, c.k = k, c.path = path, c.type = type, c.seed = seed++;
            c.bias = (m + n + k) % 2 == 0;
            cases.push_back(c);
          }
      run(cases);
    }
}

TEST_CASE("linear: matrix-vector path (m <= 8) over odd panel counts, K tails and every row count") {
  // The Cpu matrix-vector kernel walks several panels per workgroup for small m and splits
  // m = 7, 8 into two row groups: panel counts 1, 3, 4, 6 (partial last panel, an odd count
  // with a clamped extra panel), K tails of 1..7 and every m from 1 to kLinearMatVecMaxRows.
  static_assert(kernels::kLinearMatVecMaxRows == 8);
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      std::vector<Case> cases;
      uint32_t seed = 2000;
      for (int m = 1; m <= kernels::kLinearMatVecMaxRows; ++m)
        for (auto [n, k] : {std::pair{65, 77}, std::pair{97, 8}, std::pair{161, 263}, std::pair{7, 1}}) {
          Case c;
          c.m = m, c.n = n, c.k = k, c.path = path, c.type = type, c.seed = seed++;
          c.activation = m % 3 == 0 ? Activation::GeluTanh : (m % 3 == 1 ? Activation::None : Activation::GeluErf);
          c.bias = (m + n) % 2 == 0;
          c.residual = m % 2 == 1;
          c.in_place = m == 5;
          c.x_pad = m % 4, c.y_pad = m % 3;
          cases.push_back(c);
        }
      run(cases);
    }
}

TEST_CASE("linear: decode-sized matrix-vector 3x2304x768 (GPT-2 c_attn, a beam of 3)") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      Case c;
      c.m = 3, c.n = 2304, c.k = 768, c.path = path, c.type = type, c.seed = 4242;
      run({c});
    }
}

TEST_CASE("linear: on lavapipe the Cpu kernels read weights the way the probe's table chose") {
  // A probe that stopped finding the texel formats would silently lose the texel path (the fast
  // one at 256 bits) and skip its tests above.
  if (gpu().info().driver_name != "llvmpipe") return;
  REQUIRE(gpu().info().texel_formats);
  CHECK_FALSE(gpu().info().weight_fetch_reason.empty());
  std::vector<float> w(static_cast<size_t>(40) * 9, 0.25f);
  const kernels::PackedWeight p = kernels::pack_linear(gpu(), w.data(), nullptr, 40, 9, WeightLayout::OutIn, WeightType::F32);
  CHECK(p.variant == KernelVariant::Cpu);
  CHECK(p.fetch == (gpu().info().texel_weights ? WeightFetch::Texels : WeightFetch::Addresses));
}

TEST_CASE("linear: Cpu packing gives each lane its own stream, skewed by one cache line") {
  if (!gpu().info().supports_cpu_variant() || gpu().info().subgroup_size < 8) return;
  std::vector<float> w(static_cast<size_t>(70) * 13, 0.5f);
  for (WeightType type : {WeightType::F32, WeightType::F16}) {
    const kernels::PackedWeight p =
        kernels::pack_linear(gpu(), w.data(), nullptr, 70, 13, WeightLayout::OutIn, type, KernelVariant::Cpu);
    const int element_bytes = type == WeightType::F16 ? 2 : 4;
    CHECK(p.k_padded == 16);
    CHECK(p.panel_width == 4 * static_cast<int>(gpu().info().subgroup_size));
    CHECK(p.lane_stride * element_bytes == 4 * p.k_padded * element_bytes + 64);
    const int panels = (70 + p.panel_width - 1) / p.panel_width;
    CHECK(p.weight.size() >= static_cast<uint64_t>(panels) * (p.panel_width / 4) * p.lane_stride * element_bytes);
  }
}

TEST_CASE("linear: both weight layouts, padded strides, and the fused epilogue") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      std::vector<Case> cases;
      uint32_t seed = 500;
      for (WeightLayout layout : {WeightLayout::OutIn, WeightLayout::InOut})
        for (Activation act : {Activation::None, Activation::GeluErf, Activation::GeluTanh})
          for (int m : {3, 13}) {
            Case c;
            c.m = m, c.n = 33, c.k = 70, c.path = path, c.type = type, c.layout = layout, c.activation = act;
            c.residual = true, c.seed = seed++;
            c.x_scale = 3.0f;  // pre-activations over GELU's curved range
            cases.push_back(c);
            c.x_pad = 3, c.y_pad = 5, c.seed = seed++;
            c.in_place = true;
            cases.push_back(c);
            c.residual = false, c.in_place = false, c.bias = false, c.x_pad = 0, c.y_pad = 0, c.seed = seed++;
            cases.push_back(c);
          }
      run(cases);
    }
}

TEST_CASE("linear: large and tiny magnitudes (x ±1e4 with w ±1e-4 and the reverse)") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      std::vector<Case> cases;
      uint32_t seed = 900;
      for (auto [xs, ws] : {std::pair{1e4f, 1e-4f}, std::pair{1e-4f, 1e4f}, std::pair{1e4f, 1.0f}})
        for (Activation act : {Activation::None, Activation::GeluErf, Activation::GeluTanh})
          for (int m : {2, 13}) {
            Case c;
            c.m = m, c.n = 31, c.k = 129, c.path = path, c.type = type, c.activation = act;
            c.x_scale = xs, c.w_scale = ws, c.bias = false, c.seed = seed++;
            cases.push_back(c);
          }
      run(cases);
    }
}

TEST_CASE("linear: long reductions stay within a budget that grows with sqrt(K)") {
  const Tolerance short_k = Tolerance::for_reduction(64), long_k = Tolerance::for_reduction(3072);
  CHECK(long_k.abs > short_k.abs * 6.9);  // √(3072/64) ≈ 6.93
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) {
      std::vector<Case> cases;
      for (int m : {3, 20}) {
        Case c;
        c.m = m, c.n = 65, c.k = 3072, c.path = path, c.type = type, c.activation = Activation::GeluErf;
        c.residual = true, c.seed = 1234 + m;
        cases.push_back(c);
      }
      run(cases);
    }
}

TEST_CASE("linear: encoder-sized 197x768x768 with GELU and residual") {
  for (const LinearPath& path : paths()) {
    Case c;
    c.m = 197, c.n = 768, c.k = 768, c.path = path, c.activation = Activation::GeluErf, c.residual = true;
    c.seed = 77;
    run({c});
  }
}

TEST_CASE("linear: GELU erf keeps its accuracy across the range, tails included") {
  // Identity weight (K = N = 1, w = 1): y = GELU(x) exactly as the epilogue computes it.
  for (const LinearPath& path : paths())
    for (Activation act : {Activation::GeluErf, Activation::GeluTanh}) {
      std::vector<float> xs;
      for (int i = -2000; i <= 2000; ++i) xs.push_back(static_cast<float>(i) * 0.006f);  // ±12
      for (float v : {-1e4f, -60.0f, -9.0f, 9.0f, 60.0f, 1e4f, 0.0f}) xs.push_back(v);
      const int m = static_cast<int>(xs.size());
      const float one = 1.0f;
      kernels::PackedWeight w = pack_for(path, &one, nullptr, 1, 1, WeightLayout::OutIn, WeightType::F32);
      GuardedBuffer x(xs), y(xs.size());
      vk::Recorder rec(gpu());
      kernels::LinearArgs args;
      args.w = &w, args.x = x.ref(), args.m = m, args.y = y.ref(), args.activation = act;
      kernels::record_linear(rec, args);
      rec.submit();
      std::vector<double> expected;
      for (float v : xs) expected.push_back(activate(v, act));
      // Relative 2e-6 (exp/erfc of the tails), absolute 1e-7 (erf near 1 in fp32).
      expect_close(y.read(), expected, {1e-7, 2e-6}, path.name() + " gelu");
      CHECK(y.guards_intact());
    }
}

TEST_CASE("linear: shape errors name the operand") {
  std::vector<float> w(6, 1.0f);
  kernels::PackedWeight packed =
      kernels::pack_linear(gpu(), w.data(), nullptr, 2, 3, WeightLayout::OutIn, WeightType::F32, KernelVariant::Gpu);
  vk::Buffer x = gpu().create_buffer(5 * sizeof(float)), y = gpu().create_buffer(4 * sizeof(float));
  vk::Recorder rec(gpu());
  kernels::LinearArgs args;
  args.w = &packed, args.x = kernels::BufferRef(x), args.m = 2, args.y = kernels::BufferRef(y);
  CHECK_THROWS_WITH_AS(kernels::record_linear(rec, args), doctest::Contains("x needs 6 floats"), Error);
  args.m = 1, args.x_stride = 2;
  CHECK_THROWS_WITH_AS(kernels::record_linear(rec, args), doctest::Contains("x row stride 2"), Error);
  args.x_stride = 0, args.m = 0;
  CHECK_THROWS_AS(kernels::record_linear(rec, args), Error);
  CHECK_THROWS_AS(kernels::pack_linear(gpu(), w.data(), nullptr, 0, 3, WeightLayout::OutIn, WeightType::F32), Error);
}

TEST_CASE("linear: fp16 packing rounds to nearest even") {
  CHECK(kernels::float_to_half(1.0f) == 0x3c00);
  CHECK(kernels::float_to_half(65504.0f) == 0x7bff);
  CHECK(kernels::float_to_half(65520.0f) == 0x7c00);
  CHECK(kernels::float_to_half(-0.0f) == 0x8000);
  CHECK(kernels::float_to_half(1.0f + 1.0f / 2048) == 0x3c00);      // tie → even
  CHECK(kernels::float_to_half(1.0f + 3.0f / 2048) == 0x3c02);      // tie → even (up)
  CHECK(kernels::float_to_half(5.9604644775390625e-8f) == 0x0001);  // smallest subnormal
  CHECK(kernels::float_to_half(2.98023223876953125e-8f) == 0x0000); // half of it: tie → 0
  for (uint32_t h = 0; h < 0x7c00; ++h)
    REQUIRE(kernels::float_to_half(kernels::half_to_float(static_cast<uint16_t>(h))) == h);
}

}  // namespace vkcap::test

namespace vkcap::test {
namespace {

// The Gpu variant binds W [N, Kp] as a storage buffer; past maxStorageBufferRange (lavapipe and
// many mobile GPUs: 128 MiB; GPT-2's fp32 LM head is 154 MB) it must run in column windows.
TEST_CASE("linear: a Gpu-variant weight over maxStorageBufferRange runs in column windows") {
  const uint64_t limit = gpu().info().max_storage_buffer_range;
  if (limit > (256ull << 20)) return;  // devices with larger bindings never split
  const int k = 1024;
  const int n = int(limit / (uint64_t(k) * 4)) + 300;  // one full window and a ragged second one
  std::vector<float> w(size_t(n) * k), bias(n);
  for (int c = 0; c < n; ++c) {
    for (int i = 0; i < k; ++i) w[size_t(c) * k + i] = float((c * 7 + i * 3) % 11) * 0.125f - 0.625f;
    bias[c] = float(c % 13);
  }
  const kernels::PackedWeight packed = kernels::pack_linear(gpu(), w.data(), bias.data(), n, k, WeightLayout::OutIn,
                                                            WeightType::F32, KernelVariant::Gpu);
  REQUIRE(packed.weight.size() > limit);
  for (int m : {1, 9}) {  // matrix-vector and matmul kernels
    CAPTURE(m);
    std::vector<float> x(size_t(m) * k), residual(size_t(m) * n);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 5) - 2);
    for (size_t i = 0; i < residual.size(); ++i) residual[i] = float(i % 3);
    GuardedBuffer xb(x), rb(residual), yb(size_t(m) * n);
    vk::Recorder rec(gpu());
    kernels::record_linear(rec, {.w = &packed, .x = xb.ref(), .m = m, .y = yb.ref(), .residual = rb.ref()});
    rec.submit();
    const std::vector<float> y = yb.read();
    CHECK(yb.guards_intact());
    // Every value is a multiple of 1/8 far below 2^24: the sums are exact in fp32.
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < n; ++c) {
        double want = bias[c] + residual[size_t(r) * n + c];
        for (int i = 0; i < k; ++i) want += double(x[size_t(r) * k + i]) * w[size_t(c) * k + i];
        REQUIRE_MESSAGE(y[size_t(r) * n + c] == float(want), "row " << r << " column " << c);
      }
  }
}

}  // namespace
}  // namespace vkcap::test

namespace vkcap::test {
namespace {

// A layer norm folded into the linear's input (decode steps: one dispatch instead of two) gives
// what layer norm then linear give, on every path: the Cpu matrix-vector kernel folds it, the
// Cpu matmul (m > 8) and the Gpu kernels run a layer-norm dispatch first. Both outputs — the
// linear's and the normalised rows — are checked against double references.
// LN(x (+ residual))·gamma + beta per row (dense, k wide), and y = that · Wᵀ + bias, in double.
struct NormLinearReference {
  std::vector<double> normed, y;
};
NormLinearReference norm_linear_reference(const std::vector<float>& x, const std::vector<float>* res, int m, int xs,
                                          int k, int n, const std::vector<float>& gamma, const std::vector<float>& beta,
                                          const std::vector<float>& w, const std::vector<float>& bias) {
  NormLinearReference want{std::vector<double>(size_t(m) * k), std::vector<double>(size_t(m) * n)};
  for (int r = 0; r < m; ++r) {
    double mean = 0, var = 0;
    std::vector<double> v(k);
    for (int i = 0; i < k; ++i) mean += v[i] = double(x[size_t(r) * xs + i]) + (res ? (*res)[size_t(r) * xs + i] : 0.0);
    mean /= k;
    for (double e : v) var += (e - mean) * (e - mean);
    var /= k;
    for (int i = 0; i < k; ++i) want.normed[size_t(r) * k + i] = (v[i] - mean) / std::sqrt(var + 1e-5) * gamma[i] + beta[i];
    for (int c = 0; c < n; ++c) {
      double acc = bias[c];
      for (int i = 0; i < k; ++i) acc += want.normed[size_t(r) * k + i] * w[size_t(c) * k + i];
      want.y[size_t(r) * n + c] = acc;
    }
  }
  return want;
}

TEST_CASE("linear: a folded input layer norm equals layer norm then linear, with and without residual") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16})
      for (int m : {1, 2, 3, 8, 9})
        for (int k : {97, 768})
          for (bool with_residual : {false, true}) {
            const int n = 45, xs = k + 3;  // x, residual and out rows are strided alike
            CAPTURE(path.name());
            CAPTURE(type == WeightType::F16);
            CAPTURE(m);
            CAPTURE(k);
            CAPTURE(with_residual);
            const uint32_t seed = uint32_t(m * 1000 + k + (with_residual ? 7 : 0));
            std::vector<float> x = random_values(size_t(m) * xs, seed, -2.0f, 3.0f);
            std::vector<float> res = random_values(size_t(m) * xs, seed + 1, -1.0f, 1.0f);
            std::vector<float> gamma = random_values(k, seed + 2, 0.5f, 1.5f), beta = random_values(k, seed + 3);
            std::vector<float> w = random_values(size_t(n) * k, seed + 4), bias = random_values(n, seed + 5);
            if (type == WeightType::F16)  // the reference sees the weights the kernel sees
              for (float& v : w) v = kernels::half_to_float(kernels::float_to_half(v));
            const kernels::PackedWeight packed =
                pack_for(path, w.data(), bias.data(), n, k, WeightLayout::OutIn, type);
            GuardedBuffer xb(x), rb(res), gb(gamma), bb(beta), out(size_t(m) * xs, 7.0f), yb(size_t(m) * n, 7.0f);
            kernels::InputNorm norm{gb.ref(), bb.ref(), with_residual ? rb.ref() : kernels::BufferRef{}, out.ref(), 1e-5f};
            vk::Recorder rec(gpu());
            kernels::record_linear(rec, {.w = &packed, .x = xb.ref(), .m = m, .x_stride = xs, .y = yb.ref(), .norm = &norm});
            // One dispatch where the Cpu matrix-vector kernel folds the norm (1-2 rows), two elsewhere
            // (a host product: the norm's dispatch, then the host step).
            const bool folded = !path.host && path.variant == KernelVariant::Cpu && m <= 2;
            CHECK(kernels::linear_folds_norm(packed, m) == folded);
            CHECK(rec.dispatch_count() + rec.host_step_count() == (folded ? 1u : 2u));
            CHECK(rec.host_step_count() == (path.host ? 1u : 0u));
            rec.submit();
            const std::vector<float> y = yb.read(), normed = out.read();
            CHECK(yb.guards_intact());
            CHECK(out.guards_intact());
            const NormLinearReference want =
                norm_linear_reference(x, with_residual ? &res : nullptr, m, xs, k, n, gamma, beta, w, bias);
            std::vector<float> normed_dense(size_t(m) * k);
            for (int r = 0; r < m; ++r)
              for (int i = 0; i < k; ++i) normed_dense[size_t(r) * k + i] = normed[size_t(r) * xs + i];
            expect_close(normed_dense, want.normed, Tolerance::for_reduction(size_t(k), 1e-6, 1e-5), "normalised rows");
            expect_close(y, want.y, Tolerance::for_reduction(size_t(2 * k), 1e-6, 1e-5), "linear output");
            // Padding between the strided rows of `out` is left alone.
            for (int r = 0; r < m; ++r)
              for (int i = k; i < xs && size_t(r) * xs + i < normed.size(); ++i) CHECK(normed[size_t(r) * xs + i] == 7.0f);
          }
}

TEST_CASE("linear: a folded norm whose output is scratch leaves it unwritten, and still normalises x") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16})
      for (int m : {1, 2, 3}) {
        const int n = 45, k = 97, xs = k;
        CAPTURE(path.name());
        CAPTURE(type == WeightType::F16);
        CAPTURE(m);
        const uint32_t seed = uint32_t(m * 31 + 5);
        std::vector<float> x = random_values(size_t(m) * xs, seed, -2.0f, 3.0f);
        std::vector<float> gamma = random_values(k, seed + 2, 0.5f, 1.5f), beta = random_values(k, seed + 3);
        std::vector<float> w = random_values(size_t(n) * k, seed + 4), bias = random_values(n, seed + 5);
        if (type == WeightType::F16)
          for (float& v : w) v = kernels::half_to_float(kernels::float_to_half(v));
        const kernels::PackedWeight packed = pack_for(path, w.data(), bias.data(), n, k, WeightLayout::OutIn, type);
        GuardedBuffer xb(x), gb(gamma), bb(beta), scratch(size_t(m) * xs, 7.0f), yb(size_t(m) * n, 7.0f);
        kernels::InputNorm norm{gb.ref(), bb.ref(), {}, scratch.ref(), 1e-5f};
        norm.out_is_scratch = true;
        vk::Recorder rec(gpu());
        kernels::record_linear(rec, {.w = &packed, .x = xb.ref(), .m = m, .y = yb.ref(), .norm = &norm});
        rec.submit();
        const NormLinearReference want = norm_linear_reference(x, nullptr, m, xs, k, n, gamma, beta, w, bias);
        expect_close(yb.read(), want.y, Tolerance::for_reduction(size_t(2 * k), 1e-6, 1e-5), "linear output");
        CHECK(scratch.guards_intact());
        // Folded: the kernel never touches the scratch rows; unfolded: they hold LN(x), as before.
        if (kernels::linear_folds_norm(packed, m)) {
          const std::vector<float> s = scratch.read();
          CHECK(std::all_of(s.begin(), s.end(), [](float v) { return v == 7.0f; }));
        }
      }
}

}  // namespace
}  // namespace vkcap::test
