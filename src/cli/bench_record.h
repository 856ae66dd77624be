#pragma once
// One timed kernel shape of `vkcap bench kernels` (linear and attention alike).
#include <string>

namespace vkcap::cli {

struct KernelBenchRecord {
  std::string kernel;  // e.g. "linear_cpu", "attention_gpu"
  std::string shape;   // JSON object text, e.g. {"m":577,"n":768,"k":768}
  std::string dtype;   // weight type: "f32" or "f16"
  double us = 0;       // median microseconds per call
  double gflops = 0;   // useful floating-point work / time
  double gbps = 0;     // bytes moved once / time (what bounds decode)
};

}  // namespace vkcap::cli
