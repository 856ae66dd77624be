#pragma once
// Timings of the linear kernels on the shapes of the captioning models (encoder matmuls with
// 577 and 197 tokens, decode matrix-vector with 1 and 3 rows), for `vkcap bench`.
#include <string>
#include <vector>

#include "cli/bench_record.h"
#include "vk/context.h"

namespace vkcap::cli {


// Which shapes bench_linear times: the encoder matmuls (577 and 197 rows) and/or the decode
// matrix-vector products (1 and 3 rows, with the layer-norm pairs).
struct LinearBenchParts {
  bool matmul = true, matvec = true;
};

// Times every shape with the device's preferred variant: each shape is recorded as a batch of
// identical calls (enough for ~20 ms), submitted once to warm up, then `repeats` (≥ 5) times;
// the median submit time divided by the batch size is reported.
std::vector<KernelBenchRecord> bench_linear(vk::Context& ctx, int repeats, LinearBenchParts parts = {});

// One shape of bench_linear (weights n×k of `f16 ? fp16 : fp32`, m rows), for tuning.
KernelBenchRecord bench_linear_shape(vk::Context& ctx, int m, int n, int k, bool f16, int repeats);

}  // namespace vkcap::cli
