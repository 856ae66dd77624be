#pragma once
// `vkcap bench model`: a full-size model built from its real config with random weights, a
// 640×480 image, exactly N new tokens (EOS masked), greedy and beam search; load time, encoder
// ms, cross-K/V ms, decode ms per token, total, peak RSS, device memory, and GFLOP/s / GB/s per
// stage. Median of --runs after a warm-up. Also: the fixed cost of one submit + wait + readback
// (what every generated token pays beyond its kernels), and images/s at several --batch sizes.
#include <string>

#include "cli/commands.h"

namespace vkcap::cli {

struct BenchModelOptions {
  DeviceOptions device;
  std::string config_dir;  // a model directory (weights ignored) or assets/configs/<name>
  bool fp16 = false;
  bool json = false;
  int runs = 3;
  int new_tokens = 20;
  std::vector<int> beams{1, 3};
  // Images per pass to compare (greedy): images/s for each, e.g. {1, 8}; empty = skip.
  std::vector<int> batches;
  // Florence-2's task (its prompt goes through the BART encoder) and the n-gram rule of the
  // card's settings (3), so a run can follow the protocol; other models refuse --task.
  std::string task;
  int no_repeat_ngram = 0;
};

int run_bench_model(const BenchModelOptions& options);

}  // namespace vkcap::cli
