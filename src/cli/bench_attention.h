#pragma once
// Timings of fused attention on the shapes that matter for captioning: the ViT/BLIP encoder
// (577 tokens × 12 heads × 64, self, no mask) and decoding (one query against 577 image
// tokens, cross; one query against 1–20 cached tokens, causal self). The encoder and the cross
// shapes are also timed as the models lay them out: q|k|v fused in one row, and 12 layers'
// cross K/V per submit (cold caches, as in a decode step).
#include <string>
#include <vector>

#include "cli/bench_record.h"
#include "vk/context.h"

namespace vkcap::cli {


struct AttentionBenchOptions {
  int repeats = 7;    // timed samples (median reported), after one warm-up
  bool quick = false; // fewer decode lengths
};

// Runs every benchmark shape with `variant` on `ctx` (allocates its own buffers).
std::vector<KernelBenchRecord> run_attention_bench(vk::Context& ctx, vk::KernelVariant variant,
                                                      const AttentionBenchOptions& options = {});

}  // namespace vkcap::cli
