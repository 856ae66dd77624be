#include "checks/linear_checks.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "checks/guarded_buffer.h"
#include "kernels/linear_half.h"
#include "kernels/linear_host.h"

namespace vkcap::checks {

namespace {

kernels::PackedWeight pack_for(vk::Context& ctx, const LinearPath& path, const float* w, const float* bias, int n, int k,
                               kernels::WeightLayout layout, kernels::WeightType type) {
  if (path.host) return kernels::pack_linear_host(w, bias, n, k, layout, type);
  return kernels::pack_linear(ctx, w, bias, n, k, layout, type, path.variant, path.fetch);
}

using kernels::Activation;
using kernels::WeightFetch;
using kernels::WeightLayout;
using kernels::WeightType;
using vk::KernelVariant;

double activate(double v, Activation a) {
  if (a == Activation::GeluErf) return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  if (a == Activation::GeluTanh)
    return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  return v;
}

const char* activation_name(Activation a) {
  return a == Activation::GeluErf ? "gelu_erf" : a == Activation::GeluTanh ? "gelu_tanh" : "none";
}

// Everything one case needs on the device, plus its host inputs.
struct Prepared {
  LinearCase c;
  std::vector<float> x, w, bias, residual;  // w in c.layout
  std::unique_ptr<GuardedBuffer> x_buf, y_buf, residual_buf;
  kernels::PackedWeight packed;
};

float w_at(const Prepared& p, int col, int kk) {
  return p.c.layout == WeightLayout::OutIn ? p.w[static_cast<size_t>(col) * p.c.k + kk]
                                           : p.w[static_cast<size_t>(kk) * p.c.n + col];
}

Prepared prepare(vk::Context& ctx, const LinearCase& c) {
  Prepared p;
  p.c = c;
  const int xs = c.k + c.x_pad, ys = c.n + c.y_pad;
  p.x = random_values(static_cast<size_t>(c.m) * xs, c.seed, -c.x_scale, c.x_scale);
  p.w = random_values(static_cast<size_t>(c.n) * c.k, c.seed + 1, -c.w_scale, c.w_scale);
  if (c.bias) p.bias = random_values(c.n, c.seed + 2, -1.0f, 1.0f);
  if (c.residual) p.residual = random_values(static_cast<size_t>(c.m) * ys, c.seed + 3, -2.0f, 2.0f);
  p.x_buf = std::make_unique<GuardedBuffer>(ctx, p.x);
  if (c.in_place) {
    p.y_buf = std::make_unique<GuardedBuffer>(ctx, p.residual);
  } else {
    p.y_buf = std::make_unique<GuardedBuffer>(ctx, static_cast<size_t>(c.m) * ys, 7.0f);
    if (c.residual) p.residual_buf = std::make_unique<GuardedBuffer>(ctx, p.residual);
  }
  p.packed = pack_for(ctx, c.path, p.w.data(), c.bias ? p.bias.data() : nullptr, c.n, c.k, c.layout, c.type);
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
  args.shaders_only = !p.c.path.host_matvec;
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
  const LinearCase& c = p.c;
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
Tolerance fp32_budget(const LinearCase& c, const Reference& r) {
  Tolerance t = Tolerance::for_reduction(c.k, 3e-7 * std::max(r.max_l1, 1e-30), 2e-6);
  t.abs += 2.4e-7 * r.max_residual + 1e-30;
  return t;
}

CheckResult result_for(const LinearCase& c) {
  CheckResult r;
  r.family = "linear";
  r.variant = c.path.name() + (c.type == WeightType::F16 ? " f16" : " f32");
  r.shape = c.shape();
  return r;
}

void compare(const CheckRun& run, const Prepared& p, CheckResult& result) {
  const std::vector<float> y = p.y_buf->read();
  result.require(p.y_buf->guards_intact(), "guard bands around y overwritten");
  if (p.c.type == WeightType::F32) {
    const Reference r = reference(p, false);
    return run.compare(result, y, r.y, fp32_budget(p.c, r), "y");
  }
  // Tight: against the fp32 reference of the fp16-rounded weights (the kernel's own maths).
  const Reference rounded = reference(p, true);
  run.compare(result, y, rounded.y, fp32_budget(p.c, rounded), "y vs rounded weights");
  // Loose: against the unrounded weights. Rounding to fp16 moves each weight by at most
  // 2^-11 relative (plus 2^-25 absolute for subnormals), so y moves by at most
  // 2^-11·L1 (+ 2^-25·Σ|x|), times the activation's slope (≤ 1.13).
  const Reference exact = reference(p, false);
  double x_l1 = 0;
  for (float v : p.x) x_l1 = std::max<double>(x_l1, std::abs(v));
  Tolerance loose = fp32_budget(p.c, exact);
  loose.abs += 1.13 * (std::ldexp(exact.max_l1, -11) + std::ldexp(x_l1 * p.c.k, -25));
  run.compare(result, y, exact.y, loose, "y vs fp32 weights");
}

}  // namespace

bool LinearPath::host_step(int m) const {
  return host || (host_matvec && m <= kernels::kLinearMatVecMaxRows);
}

std::string LinearPath::name() const {
  if (host) return "host sgemm";
  if (host_matvec) return "host matvec";
  if (variant == KernelVariant::Gpu) return "gpu";
  return fetch == WeightFetch::Texels ? "cpu texels" : "cpu addresses";
}

std::string LinearPath::avoided_by() const {
  if (host || host_matvec) return "--no-blas (VKCAP_NO_BLAS=1)";
  if (variant == KernelVariant::Gpu) return "VKCAP_KERNELS=cpu";
  return fetch == WeightFetch::Texels ? "VKCAP_WEIGHT_FETCH=addresses or VKCAP_KERNELS=gpu"
                                      : "VKCAP_WEIGHT_FETCH=texels or VKCAP_KERNELS=gpu";
}

std::vector<LinearPath> linear_paths(const vk::DeviceInfo& info) {
  std::vector<LinearPath> v{{KernelVariant::Gpu, WeightFetch::Addresses}};
  if (info.supports_cpu_variant() && info.subgroup_size >= 8) {
    v.push_back({KernelVariant::Cpu, WeightFetch::Addresses});
    if (info.texel_formats) v.push_back({KernelVariant::Cpu, WeightFetch::Texels});
  }
  if (info.is_cpu() && info.device_local_host_visible) {
    v.push_back({KernelVariant::Cpu, WeightFetch::Addresses, true});
    if (info.supports_cpu_variant() && info.subgroup_size >= 8)
      v.push_back({KernelVariant::Cpu, kernels::preferred_fetch(info), false, true});
  }
  return v;
}

std::string LinearCase::shape() const {
  std::ostringstream s;
  s << (layout == WeightLayout::OutIn ? "[N,K]" : "[K,N]") << " m=" << m << " n=" << n << " k=" << k
    << " act=" << activation_name(activation) << (bias ? " bias" : "") << (residual ? " residual" : "")
    << (in_place ? " in-place" : "");
  if (x_pad || y_pad) s << " pad=" << x_pad << "," << y_pad;
  if (x_scale != 1.0f || w_scale != 1.0f) s << " x*" << x_scale << " w*" << w_scale;
  return s.str();
}

std::vector<CheckResult> run_linear_cases(const CheckRun& run, const std::vector<LinearCase>& cases) {
  std::vector<Prepared> prepared;
  prepared.reserve(cases.size());
  for (const LinearCase& c : cases) prepared.push_back(prepare(run.ctx, c));
  vk::Recorder rec(run.ctx);
  for (const Prepared& p : prepared) record(rec, p);
  rec.submit();
  std::vector<CheckResult> results;
  for (const Prepared& p : prepared) {
    results.push_back(result_for(p.c));
    compare(run, p, results.back());
  }
  return results;
}

std::vector<LinearCase> linear_edge_cases(const LinearPath& path, WeightType type) {
  std::vector<LinearCase> cases;
  uint32_t seed = 10;
  for (int m : {1, 2, 3, 7, 8, 9, 13, 69})
    for (int n : {1, 3, 31, 33, 100})
      for (int k : {1, 5, 17, 64, 129}) {
        LinearCase c;
        c.m = m, c.n = n, c.k = k, c.path = path, c.type = type, c.seed = seed++;
        c.bias = (m + n + k) % 2 == 0;
        cases.push_back(c);
      }
  return cases;
}

std::vector<LinearCase> linear_matvec_cases(const LinearPath& path, WeightType type) {
  // The Cpu matrix-vector kernel walks several panels per workgroup for small m and splits
  // m = 7, 8 into two row groups: panel counts 1, 3, 4, 6 (partial last panel, an odd count
  // with a clamped extra panel), K tails of 1..7 and every m from 1 to kLinearMatVecMaxRows.
  static_assert(kernels::kLinearMatVecMaxRows == 8);
  std::vector<LinearCase> cases;
  uint32_t seed = 2000;
  for (int m = 1; m <= kernels::kLinearMatVecMaxRows; ++m)
    for (auto [n, k] : {std::pair{65, 77}, std::pair{97, 8}, std::pair{161, 263}, std::pair{7, 1}}) {
      LinearCase c;
      c.m = m, c.n = n, c.k = k, c.path = path, c.type = type, c.seed = seed++;
      c.activation = m % 3 == 0 ? Activation::GeluTanh : (m % 3 == 1 ? Activation::None : Activation::GeluErf);
      c.bias = (m + n) % 2 == 0;
      c.residual = m % 2 == 1;
      c.in_place = m == 5;
      c.x_pad = m % 4, c.y_pad = m % 3;
      cases.push_back(c);
    }
  return cases;
}

std::vector<LinearCase> linear_epilogue_cases(const LinearPath& path, WeightType type) {
  std::vector<LinearCase> cases;
  uint32_t seed = 500;
  for (WeightLayout layout : {WeightLayout::OutIn, WeightLayout::InOut})
    for (Activation act : {Activation::None, Activation::GeluErf, Activation::GeluTanh})
      for (int m : {3, 13}) {
        LinearCase c;
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
  return cases;
}

std::vector<LinearCase> linear_magnitude_cases(const LinearPath& path, WeightType type) {
  std::vector<LinearCase> cases;
  uint32_t seed = 900;
  for (auto [xs, ws] : {std::pair{1e4f, 1e-4f}, std::pair{1e-4f, 1e4f}, std::pair{1e4f, 1.0f}})
    for (Activation act : {Activation::None, Activation::GeluErf, Activation::GeluTanh})
      for (int m : {2, 13}) {
        LinearCase c;
        c.m = m, c.n = 31, c.k = 129, c.path = path, c.type = type, c.activation = act;
        c.x_scale = xs, c.w_scale = ws, c.bias = false, c.seed = seed++;
        cases.push_back(c);
      }
  return cases;
}

std::vector<LinearCase> linear_long_k_cases(const LinearPath& path, WeightType type) {
  std::vector<LinearCase> cases;
  for (int m : {3, 20}) {
    LinearCase c;
    c.m = m, c.n = 65, c.k = 3072, c.path = path, c.type = type, c.activation = Activation::GeluErf;
    c.residual = true, c.seed = 1234 + m;
    cases.push_back(c);
  }
  return cases;
}

std::vector<LinearCase> linear_block_split_cases(const LinearPath& path, WeightType type) {
  std::vector<LinearCase> cases;
  uint32_t seed = 3100;
  for (WeightLayout layout : {WeightLayout::OutIn, WeightLayout::InOut}) {
    LinearCase wide;  // 1000 columns: four column blocks of host work on two threads, the last ragged
    wide.m = 13, wide.n = 1000, wide.k = 70, wide.path = path, wide.type = type, wide.layout = layout;
    wide.activation = Activation::GeluErf, wide.residual = true, wide.in_place = true, wide.x_pad = 3, wide.y_pad = 5;
    wide.x_scale = 3.0f, wide.seed = seed++;
    cases.push_back(wide);
    LinearCase tall;  // 1031 rows: past the column split, so row blocks (the last ragged)
    tall.m = 1031, tall.n = 40, tall.k = 70, tall.path = path, tall.type = type, tall.layout = layout;
    tall.activation = Activation::GeluTanh, tall.residual = true, tall.in_place = true, tall.x_scale = 3.0f;
    tall.seed = seed++;
    cases.push_back(tall);
  }
  return cases;
}

LinearCase linear_decode_case(const LinearPath& path, WeightType type) {
  LinearCase c;
  c.m = 3, c.n = 2304, c.k = 768, c.path = path, c.type = type, c.seed = 4242;
  return c;
}

LinearCase linear_encoder_case(const LinearPath& path) {
  LinearCase c;
  c.m = 197, c.n = 768, c.k = 768, c.path = path, c.activation = Activation::GeluErf, c.residual = true;
  c.seed = 77;
  return c;
}

std::vector<LinearCase> linear_quick_cases(const LinearPath& path, WeightType type) {
  // One of each kernel (matrix-vector at 1, 3 and 8 rows, the last as two row groups; matmul)
  // with ragged panels, K tails, padded strides, the epilogue in place and both weight layouts,
  // chosen to need few distinct pipelines: on a CPU driver each one takes seconds to compile
  // (the two layouts share one).
  const std::vector<LinearCase> matvec = linear_matvec_cases(path, type);
  const std::vector<LinearCase> epilogue = linear_epilogue_cases(path, type);
  return {matvec[2], matvec[8 + 2], matvec[28 + 2], epilogue[4], epilogue[3 * 6 + 4]};
}

CheckResult run_linear_gelu_sweep(const CheckRun& run, const LinearPath& path, Activation act) {
  // Identity weight (K = N = 1, w = 1): y = GELU(x) exactly as the epilogue computes it.
  std::vector<float> xs;
  for (int i = -2000; i <= 2000; ++i) xs.push_back(static_cast<float>(i) * 0.006f);  // ±12
  for (float v : {-1e4f, -60.0f, -9.0f, 9.0f, 60.0f, 1e4f, 0.0f}) xs.push_back(v);
  const int m = static_cast<int>(xs.size());
  const float one = 1.0f;
  kernels::PackedWeight w =
      pack_for(run.ctx, path, &one, nullptr, 1, 1, WeightLayout::OutIn, WeightType::F32);
  GuardedBuffer x(run.ctx, xs), y(run.ctx, xs.size());
  vk::Recorder rec(run.ctx);
  kernels::LinearArgs args;
  args.w = &w, args.x = x.ref(), args.m = m, args.y = y.ref(), args.activation = act;
  args.shaders_only = !path.host_matvec;
  kernels::record_linear(rec, args);
  rec.submit();
  std::vector<double> expected;
  for (float v : xs) expected.push_back(activate(v, act));
  CheckResult r;
  r.family = "linear";
  r.variant = path.name() + " f32";
  r.shape = std::string("epilogue ") + activation_name(act) + " sweep m=" + std::to_string(m) + " n=1 k=1";
  // Relative 2e-6 (exp/erfc of the tails), absolute 1e-7 (erf near 1 in fp32).
  run.compare(r, y.read(), expected, {1e-7, 2e-6}, "gelu");
  r.require(y.guards_intact(), "guard bands around y overwritten");
  return r;
}

std::string FoldedNormCase::shape() const {
  return "folded layer norm m=" + std::to_string(m) + " n=45 k=" + std::to_string(k) + (residual ? " residual" : "") +
         (scratch ? " scratch" : "");
}

namespace {

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

}  // namespace

CheckResult run_folded_norm_case(const CheckRun& run, const FoldedNormCase& c) {
  // x, residual and out rows are strided alike; a scratch output is dense.
  const int m = c.m, k = c.k, n = 45, xs = c.scratch ? k : k + 3;
  const uint32_t seed = c.scratch ? uint32_t(m * 31 + 5) : uint32_t(m * 1000 + k + (c.residual ? 7 : 0));
  std::vector<float> x = random_values(size_t(m) * xs, seed, -2.0f, 3.0f);
  std::vector<float> res = random_values(size_t(m) * xs, seed + 1, -1.0f, 1.0f);
  std::vector<float> gamma = random_values(k, seed + 2, 0.5f, 1.5f), beta = random_values(k, seed + 3);
  std::vector<float> w = random_values(size_t(n) * k, seed + 4), bias = random_values(n, seed + 5);
  if (c.type == WeightType::F16)  // the reference sees the weights the kernel sees
    for (float& v : w) v = kernels::half_to_float(kernels::float_to_half(v));
  const kernels::PackedWeight packed = pack_for(run.ctx, c.path, w.data(), bias.data(), n, k, WeightLayout::OutIn, c.type);
  vk::Context& ctx = run.ctx;
  GuardedBuffer xb(ctx, x), rb(ctx, res), gb(ctx, gamma), bb(ctx, beta), out(ctx, size_t(m) * xs, 7.0f),
      yb(ctx, size_t(m) * n, 7.0f);
  kernels::InputNorm norm{gb.ref(), bb.ref(), c.residual ? rb.ref() : kernels::BufferRef{}, out.ref(), 1e-5f};
  norm.out_is_scratch = c.scratch;
  vk::Recorder rec(ctx);
  kernels::record_linear(rec, {.w = &packed, .x = xb.ref(), .m = m, .x_stride = xs, .y = yb.ref(), .norm = &norm,
                               .shaders_only = !c.path.host_matvec});
  CheckResult r;
  r.family = "linear";
  r.variant = c.path.name() + (c.type == WeightType::F16 ? " f16" : " f32");
  r.shape = c.shape();
  // One dispatch where the Cpu matrix-vector kernel folds the norm (1-2 rows), two elsewhere: the
  // norm's dispatch, then the product's (a host sgemm: the norm's dispatch, then the host step; a
  // host mat-vec: the norm as a host step too, then the product's).
  const bool foldable = !c.path.host && c.path.variant == KernelVariant::Cpu && m <= 2;
  const bool host_matvec = c.path.host_matvec && c.path.host_step(m);
  const bool folded = foldable && !host_matvec;
  r.require(kernels::linear_folds_norm(packed, m) == foldable, "the norm is folded where it should not be, or not where it should");
  r.require(rec.dispatch_count() + rec.host_step_count() == (folded ? 1u : 2u),
            "dispatch count " + std::to_string(rec.dispatch_count()));
  const unsigned host_steps = host_matvec ? 2u : c.path.host ? 1u : 0u;
  r.require(rec.host_step_count() == host_steps, "host steps " + std::to_string(rec.host_step_count()));
  rec.submit();
  const NormLinearReference want = norm_linear_reference(x, c.residual ? &res : nullptr, m, xs, k, n, gamma, beta, w, bias);
  run.compare(r, yb.read(), want.y, Tolerance::for_reduction(size_t(2 * k), 1e-6, 1e-5), "linear output");
  r.require(yb.guards_intact(), "guard bands around y overwritten");
  r.require(out.guards_intact(), "guard bands around the norm output overwritten");
  const std::vector<float> normed = out.read();
  if (c.scratch) {
    // Folded: the kernel never touches the scratch rows; unfolded: they hold LN(x), as before.
    if (folded)
      r.require(std::all_of(normed.begin(), normed.end(), [](float v) { return v == 7.0f; }), "scratch rows written");
    return r;
  }
  std::vector<float> normed_dense(size_t(m) * k);
  for (int row = 0; row < m; ++row)
    for (int i = 0; i < k; ++i) normed_dense[size_t(row) * k + i] = normed[size_t(row) * xs + i];
  run.compare(r, normed_dense, want.normed, Tolerance::for_reduction(size_t(k), 1e-6, 1e-5), "normalised rows");
  // Padding between the strided rows of `out` is left alone.
  bool padding_untouched = true;
  for (int row = 0; row < m; ++row)
    for (int i = k; i < xs && size_t(row) * xs + i < normed.size(); ++i) padding_untouched &= normed[size_t(row) * xs + i] == 7.0f;
  r.require(padding_untouched, "padding between normalised rows written");
  return r;
}

}  // namespace vkcap::checks
