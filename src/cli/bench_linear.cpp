#include "cli/bench_linear.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "kernels/linear.h"
#include "kernels/matvec_host.h"
#include "kernels/ops.h"

namespace vkcap::cli {

using namespace vkcap::kernels;  // the kernels being timed

namespace {

struct Shape {
  int m, n, k;
};

double seconds_of(vk::Recorder& rec) {
  const auto start = std::chrono::steady_clock::now();
  rec.submit();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// How the input's layer norm is run (decode steps): not at all, as its own dispatch before the
// linear, or folded into the linear (LinearArgs::norm).
enum class InputNormMode { None, Separate, Folded };

KernelBenchRecord bench_one(vk::Context& ctx, const Shape& s, WeightType type, int repeats,
                      InputNormMode norm_mode = InputNormMode::None, bool shaders_only = false) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(s.n) * s.k), x(static_cast<size_t>(s.m) * s.k), bias(s.n);
  for (float& v : w) v = dist(rng) * 0.05f;
  for (float& v : x) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  const PackedWeight packed = pack_linear(ctx, w.data(), bias.data(), s.n, s.k, WeightLayout::OutIn, type);
  vk::Buffer x_buf = ctx.upload_vector<float>(x);
  vk::Buffer y_buf = ctx.create_buffer(static_cast<uint64_t>(s.m) * s.n * sizeof(float));
  LinearArgs args;
  args.w = &packed;
  args.x = BufferRef(x_buf);
  args.m = s.m;
  args.y = BufferRef(y_buf);
  args.shaders_only = shaders_only;
  // Layer-norm operands, only for the shapes that time one.
  vk::Buffer gamma_buf, beta_buf, normed_buf;
  if (norm_mode != InputNormMode::None) {
    gamma_buf = ctx.upload_vector<float>(std::vector<float>(s.k, 1.1f));
    beta_buf = ctx.upload_vector<float>(std::vector<float>(s.k, 0.1f));
    normed_buf = ctx.create_buffer(static_cast<uint64_t>(s.m) * s.k * sizeof(float));
  }
  const InputNorm norm{gamma_buf, beta_buf, {}, normed_buf, 1e-5f};
  auto record_one = [&](vk::Recorder& r) {
    if (norm_mode == InputNormMode::Separate) {
      LayerNormArgs ln;
      ln.x = x_buf, ln.gamma = gamma_buf, ln.beta = beta_buf, ln.y = normed_buf, ln.rows = s.m, ln.d = s.k;
      ln.x_stride = ln.y_stride = s.k;
      record_layer_norm(r, ln);
      LinearArgs after = args;
      after.x = normed_buf;
      record_linear(r, after);
    } else {
      LinearArgs with = args;
      if (norm_mode == InputNormMode::Folded) with.norm = &norm;
      record_linear(r, with);
    }
  };

  vk::Recorder single(ctx);
  record_one(single);
  seconds_of(single);  // pipeline build, first touch of the memory
  const double one = seconds_of(single);
  const int batch = std::clamp(static_cast<int>(std::ceil(0.02 / std::max(one, 1e-6))), 1, 20);
  vk::Recorder rec(ctx);
  for (int i = 0; i < batch; ++i) record_one(rec);
  seconds_of(rec);
  std::vector<double> times;
  for (int r = 0; r < std::max(repeats, 5); ++r) times.push_back(seconds_of(rec) / batch);
  std::sort(times.begin(), times.end());
  const double t = times[times.size() / 2];

  KernelBenchRecord out;
  out.kernel = !shaders_only && matvec_on_host(ctx, packed, s.m) ? "host_matvec" : linear_kernel_family(packed, s.m);
  if (norm_mode == InputNormMode::Separate) out.kernel = "layer_norm+" + out.kernel;
  if (norm_mode == InputNormMode::Folded) out.kernel += "+folded_norm";
  out.shape = "{\"m\":" + std::to_string(s.m) + ",\"n\":" + std::to_string(s.n) + ",\"k\":" + std::to_string(s.k) + "}";
  out.dtype = type == WeightType::F16 ? "f16" : "f32";
  out.us = t * 1e6;
  out.gflops = linear_flops(args) / t * 1e-9;
  out.gbps = static_cast<double>(s.n) * s.k * (type == WeightType::F16 ? 2 : 4) / t * 1e-9;
  return out;
}

}  // namespace

std::vector<KernelBenchRecord> bench_linear(vk::Context& ctx, int repeats, LinearBenchParts parts) {
  std::vector<Shape> shapes;
  if (parts.matmul)
    for (int m : {577, 197})
      for (auto [n, k] : {std::pair{768, 768}, std::pair{2304, 768}, std::pair{3072, 768}, std::pair{768, 3072}})
        shapes.push_back({m, n, k});
  std::vector<KernelBenchRecord> records;
  for (const Shape& s : shapes)
    for (WeightType type : {WeightType::F32, WeightType::F16}) records.push_back(bench_one(ctx, s, type, repeats));
  // Decode products (1 row, 3 beams, a batch of 8): on a CPU device the host's product
  // (kernels/matvec_host.h) and, after it, the shader it replaces there.
  if (parts.matvec)
    for (int m : {1, 3, 8})
      for (int n : {768, 2304, 3072, 30524, 50257})
        for (WeightType type : {WeightType::F32, WeightType::F16})
          for (bool shaders_only : {false, true}) {
            if (shaders_only && records.back().kernel.rfind("host_", 0) != 0) continue;
            records.push_back(bench_one(ctx, {m, n, 768}, type, repeats, InputNormMode::None, shaders_only));
          }
  // A decode step's layer norm as its own dispatch vs folded into the next linear, side by side.
  if (parts.matvec)
    for (int n : {768, 2304, 3072})
      for (InputNormMode mode : {InputNormMode::Separate, InputNormMode::Folded})
        records.push_back(bench_one(ctx, {1, n, 768}, WeightType::F16, repeats, mode, /*shaders_only=*/true));
  return records;
}

KernelBenchRecord bench_linear_shape(vk::Context& ctx, int m, int n, int k, bool f16, int repeats) {
  return bench_one(ctx, {m, n, k}, f16 ? WeightType::F16 : WeightType::F32, repeats);
}

}  // namespace vkcap::cli
