#include "kernels/linear_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "kernels/linear.h"

namespace vkcap::kernels {

namespace {

struct Shape {
  int m, n, k;
};

double seconds_of(vk::Recorder& rec) {
  const auto start = std::chrono::steady_clock::now();
  rec.submit();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

BenchRecord bench_one(vk::Context& ctx, const Shape& s, WeightType type, int repeats) {
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

  vk::Recorder single(ctx);
  record_linear(single, args);
  seconds_of(single);  // pipeline build, first touch of the memory
  const double one = seconds_of(single);
  const int batch = std::clamp(static_cast<int>(std::ceil(0.02 / std::max(one, 1e-6))), 1, 20);
  vk::Recorder rec(ctx);
  for (int i = 0; i < batch; ++i) record_linear(rec, args);
  seconds_of(rec);
  std::vector<double> times;
  for (int r = 0; r < std::max(repeats, 5); ++r) times.push_back(seconds_of(rec) / batch);
  std::sort(times.begin(), times.end());
  const double t = times[times.size() / 2];

  BenchRecord out;
  out.kernel = linear_kernel_family(packed, s.m);
  out.shape = "{\"m\":" + std::to_string(s.m) + ",\"n\":" + std::to_string(s.n) + ",\"k\":" + std::to_string(s.k) + "}";
  out.dtype = type == WeightType::F16 ? "f16" : "f32";
  out.us = t * 1e6;
  out.gflops = linear_flops(args) / t * 1e-9;
  out.gbps = static_cast<double>(s.n) * s.k * (type == WeightType::F16 ? 2 : 4) / t * 1e-9;
  return out;
}

}  // namespace

std::vector<BenchRecord> bench_linear(vk::Context& ctx, int repeats) {
  std::vector<Shape> shapes;
  for (int m : {577, 197})
    for (auto [n, k] : {std::pair{768, 768}, std::pair{2304, 768}, std::pair{3072, 768}, std::pair{768, 3072}})
      shapes.push_back({m, n, k});
  for (int m : {1, 3})
    for (int n : {768, 2304, 3072, 30524, 50257}) shapes.push_back({m, n, 768});
  std::vector<BenchRecord> records;
  for (const Shape& s : shapes)
    for (WeightType type : {WeightType::F32, WeightType::F16}) records.push_back(bench_one(ctx, s, type, repeats));
  return records;
}

BenchRecord bench_linear_shape(vk::Context& ctx, int m, int n, int k, bool f16, int repeats) {
  return bench_one(ctx, {m, n, k}, f16 ? WeightType::F16 : WeightType::F32, repeats);
}

}  // namespace vkcap::kernels
