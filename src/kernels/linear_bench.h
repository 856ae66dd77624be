#pragma once
// Timings of the linear kernels on the shapes of the captioning models (encoder matmuls with
// 577 and 197 tokens, decode matrix-vector with 1 and 3 rows), for `vkcap bench`.
#include <string>
#include <vector>

#include "vk/context.h"

namespace vkcap::kernels {

struct BenchRecord {
  std::string kernel;  // e.g. "linear_cpu"
  std::string shape;   // JSON object text: {"m":577,"n":768,"k":768}
  std::string dtype;   // weight type: "f32" or "f16"
  double us = 0;       // median microseconds per call
  double gflops = 0;   // 2·m·n·k / time
  double gbps = 0;     // weight bytes / time (what bounds decode)
};

// Which shapes bench_linear times: the encoder matmuls (577 and 197 rows) and/or the decode
// matrix-vector products (1 and 3 rows, with the layer-norm pairs).
struct LinearBenchParts {
  bool matmul = true, matvec = true;
};

// Times every shape with the device's preferred variant: each shape is recorded as a batch of
// identical calls (enough for ~20 ms), submitted once to warm up, then `repeats` (≥ 5) times;
// the median submit time divided by the batch size is reported.
std::vector<BenchRecord> bench_linear(vk::Context& ctx, int repeats, LinearBenchParts parts = {});

// One shape of bench_linear (weights n×k of `f16 ? fp16 : fp32`, m rows), for tuning.
BenchRecord bench_linear_shape(vk::Context& ctx, int m, int n, int k, bool f16, int repeats);

}  // namespace vkcap::kernels
