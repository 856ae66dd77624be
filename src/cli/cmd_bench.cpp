// `vkcap bench kernels`: per kernel and shape, µs (median after warm-up), GFLOP/s and GB/s, with
// the same matmuls by OpenBLAS in the same run and the machine's memory bandwidth (a triad),
// so the GPU numbers always come with their yardsticks. --json: one record per line.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/bench_model.h"
#include "cli/commands.h"
#include "cli/bench_attention.h"
#include "cli/bench_linear.h"
#include "vk/context.h"

namespace vkcap::cli {

namespace {

template <typename F>
double median_ms(F&& f, int repeats) {
  f();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// y[M,N] = x[M,K] · W[N,K]ᵀ, as nn.Linear; the CPU reference point for every matmul shape.
double blas_gflops(int m, int n, int k, int repeats) {
  std::vector<float> x(size_t(m) * k), w(size_t(n) * k), y(size_t(m) * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  for (float& v : x) v = d(rng);
  for (float& v : w) v = d(rng);
  double ms = median_ms([&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f, y.data(), n);
  }, repeats);
  return 2.0 * m * n * k / (ms * 1e6);
}

// a[i] = b[i] + s·c[i] over 3 × 64 MiB: the memory bandwidth the decode step is bound by.
double triad_gbps(int repeats) {
  const size_t n = 16u << 20;
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double ms = median_ms([&] {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        size_t begin = n * t / threads, end = n * (t + 1) / threads;
        for (size_t i = begin; i < end; ++i) a[i] = b[i] + 3.0f * c[i];
      });
    for (auto& th : pool) th.join();
  }, repeats);
  return 3.0 * n * sizeof(float) / (ms * 1e6);
}

// Which parts `--only` keeps (all when it is empty).
struct KernelBenchParts {
  bool matmul, matvec, attention;
  explicit KernelBenchParts(const std::vector<std::string>& only)
      : matmul(wants(only, "matmul")), matvec(wants(only, "matvec")), attention(wants(only, "attention")) {}
  static bool wants(const std::vector<std::string>& only, const std::string& part) {
    return only.empty() || std::find(only.begin(), only.end(), part) != only.end();
  }
};

int run_bench_kernels(const DeviceOptions& device, bool json, int repeats, const KernelBenchParts& parts) {
  vk::Context ctx(context_options(device));
  const double triad = triad_gbps(repeats);
  if (json) {
    std::printf("%s\n", nlohmann::json({{"kernel", "triad"}, {"gbps", triad}, {"device", ctx.info().name},
                                        {"driver", ctx.info().driver_info}}).dump().c_str());
  } else {
    std::printf("device: %s (%s), memory bandwidth (triad, %u threads): %.1f GB/s\n", ctx.info().name.c_str(),
                ctx.info().driver_info.c_str(), std::thread::hardware_concurrency(), triad);
    std::printf("%-14s %-44s %-5s %10s %9s %8s %11s %7s\n", "kernel", "shape", "dtype", "us", "GFLOP/s", "GB/s",
                "BLAS GF/s", "ratio");
  }
  for (const KernelBenchRecord& r : bench_linear(ctx, repeats, {parts.matmul, parts.matvec})) {
    auto shape = nlohmann::json::parse(r.shape);
    auto get = [&](const char* a, const char* b) { return shape.contains(a) ? shape[a].get<int>() : shape[b].get<int>(); };
    const int m = get("m", "M"), n = get("n", "N"), k = get("k", "K");
    const double blas = blas_gflops(m, n, k, repeats);
    if (json) {
      std::printf("%s\n", nlohmann::json({{"kernel", r.kernel}, {"shape", {{"M", m}, {"K", k}, {"N", n}}}, {"dtype", r.dtype},
                                          {"us", r.us}, {"gflops", r.gflops}, {"gbps", r.gbps}, {"blas_gflops", blas}})
                              .dump().c_str());
    } else {
      std::printf("%-14s %-44s %-5s %10.1f %9.2f %8.2f %11.1f %6.2fx\n", r.kernel.c_str(), r.shape.c_str(),
                  r.dtype.c_str(), r.us, r.gflops, r.gbps, blas, r.gflops / blas);
    }
  }
  if (!parts.attention) return 0;
  AttentionBenchOptions attention_options;
  attention_options.repeats = std::max(repeats, 5);
  for (const auto& r : run_attention_bench(ctx, ctx.info().preferred_variant(), attention_options)) {
    if (json)
      std::printf("%s\n", nlohmann::json({{"kernel", r.kernel}, {"shape", nlohmann::json::parse(r.shape)},
                                          {"dtype", r.dtype}, {"us", r.us}, {"gflops", r.gflops}, {"gbps", r.gbps}})
                              .dump().c_str());
    else
      std::printf("%-14s %-44s %-5s %10.1f %9.2f %8.2f\n", r.kernel.c_str(), r.shape.c_str(), r.dtype.c_str(),
                  r.us, r.gflops, r.gbps);
  }
  return 0;
}

}  // namespace

Run add_bench_command(CLI::App& app) {
  struct Options {
    DeviceOptions device;
    bool json = false;
    int repeats = 5;
    BenchModelOptions model;
    std::string which;
    std::vector<std::string> only;
  };
  auto o = std::make_shared<Options>();
  auto* bench = app.add_subcommand("bench", "benchmarks (kernels; compare with OpenBLAS in the same run)");
  bench->require_subcommand(1);
  auto* k = bench->add_subcommand("kernels", "time every kernel on the captioning models' shapes");
  k->add_flag("--json", o->json, "one JSON record per line");
  k->add_option("--repeats", o->repeats, "timed runs per shape (median reported)")->check(CLI::Range(5, 1000));
  k->add_option("--only", o->only, "time only these parts: matmul (encoder), matvec (decode), attention")
      ->check(CLI::IsMember({"matmul", "matvec", "attention"}));
  add_device_options(*k, o->device);
  k->callback([o] { o->which = "kernels"; });

  auto* m = bench->add_subcommand("model", "time a full-size model (random weights from its config)");
  m->add_option("config", o->model.config_dir, "model directory or config directory (e.g. assets/configs/blip-image-captioning-base)")
      ->required();
  m->add_flag("--fp16", o->model.fp16, "fp16 weights");
  m->add_flag("--json", o->model.json, "one JSON record");
  m->add_option("--runs", o->model.runs, "timed runs after a warm-up (median reported)")->check(CLI::Range(1, 100));
  m->add_option("--new-tokens", o->model.new_tokens, "tokens generated per run (EOS masked)")->check(CLI::Range(1, 500));
  m->add_option("--beams", o->model.beams, "beam widths to time (1 = greedy)");
  m->add_option("--batch", o->model.batches, "batch sizes to compare in images/s, greedy (e.g. --batch 1 8)");
  m->add_option("--task", o->model.task, "Florence-2 only: the task whose prompt the encoder reads (default caption)");
  m->add_option("--no-repeat-ngram", o->model.no_repeat_ngram, "ban repeated n-grams of this size (Florence-2's card: 3)")
      ->check(CLI::Range(0, 20));
  add_device_options(*m, o->model.device);
  m->callback([o] { o->which = "model"; });
  return [o] {
    return o->which == "model" ? run_bench_model(o->model)
                               : run_bench_kernels(o->device, o->json, o->repeats, KernelBenchParts(o->only));
  };
}

}  // namespace vkcap::cli
