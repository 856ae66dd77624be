#include "cli/bench_attention.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <vector>

#include "kernels/attention.h"
#include "vk/recorder.h"

namespace vkcap::cli {

using namespace vkcap::kernels;  // the kernels being timed

namespace {

struct Shape {
  int batch, lq, lk, heads, d;
  MaskKind mask;
  int causal_offset;
  const char* label;
  // As the models lay the operands out: q|k|v fused in one row of 3·heads·d (the encoder's
  // QKV projection), and `layers` dispatches per submit each with its own K/V (a decode step
  // visits 12 layers' cross K/V, so they come from memory, not from cache).
  bool fused_qkv = false;
  int layers = 1;
};

std::string shape(const Shape& s) {
  return std::string("{\"case\":\"") + s.label + "\",\"batch\":" + std::to_string(s.batch) +
         ",\"lq\":" + std::to_string(s.lq) + ",\"lk\":" + std::to_string(s.lk) + ",\"heads\":" +
         std::to_string(s.heads) + ",\"head_dim\":" + std::to_string(s.d) + ",\"mask\":\"" +
         (s.mask == MaskKind::Causal ? "causal" : "none") + "\"" +
         (s.fused_qkv ? ",\"layout\":\"fused qkv\"" : "") +
         (s.layers > 1 ? ",\"layers\":" + std::to_string(s.layers) : "") + "}";
}

KernelBenchRecord time_shape(vk::Context& ctx, vk::KernelVariant variant, const Shape& s, int repeats) {
  const uint64_t hd = uint64_t(s.heads) * s.d;
  const uint64_t q_n = uint64_t(s.batch) * s.lq * hd, kv_n = uint64_t(s.lk) * hd;
  std::vector<float> host(std::max(3 * q_n, kv_n));
  for (size_t i = 0; i < host.size(); ++i) host[i] = float(std::sin(0.37 * double(i)));
  AttentionArgs a;
  a.batch = s.batch, a.kv_batch_divisor = s.batch;  // beams share K/V
  a.lq = s.lq, a.lk = s.lk, a.heads = s.heads, a.head_dim = s.d;
  a.scale = float(1.0 / std::sqrt(double(s.d)));
  a.mask = s.mask, a.causal_offset = s.causal_offset;
  vk::Buffer o = ctx.create_buffer(q_n * 4);
  a.out = o;
  std::deque<vk::Buffer> operands;  // stable addresses: BufferRef points at its buffer
  std::vector<AttentionArgs> dispatches;
  if (s.fused_qkv) {
    operands.push_back(ctx.create_buffer(3 * q_n * 4));
    ctx.upload(operands[0], host.data(), 3 * q_n * 4);
    a.q = BufferRef(operands[0], 0), a.k = BufferRef(operands[0], hd), a.v = BufferRef(operands[0], 2 * hd);
    a.q_row_stride = a.k_row_stride = a.v_row_stride = int(3 * hd);
    dispatches.push_back(a);
  } else {
    operands.push_back(ctx.create_buffer(q_n * 4));
    ctx.upload(operands[0], host.data(), q_n * 4);
    a.q = operands[0];
    for (int layer = 0; layer < s.layers; ++layer) {
      vk::Buffer& k = operands.emplace_back(ctx.create_buffer(kv_n * 4));
      ctx.upload(k, host.data(), kv_n * 4);
      vk::Buffer& v = operands.emplace_back(ctx.create_buffer(kv_n * 4));
      ctx.upload(v, host.data(), kv_n * 4);
      a.k = k, a.v = v;
      dispatches.push_back(a);
    }
  }
  // Short problems are dominated by the submit; several dispatches per submit amortise it.
  const double flops = attention_flops(a);
  const int repeats_per_submit = flops < 2e7 && s.layers == 1 ? 32 : 1;
  const int per_submit = repeats_per_submit * int(dispatches.size());
  vk::Recorder rec(ctx);
  for (int r = 0; r < repeats_per_submit; ++r)
    for (const AttentionArgs& d : dispatches) record_attention(rec, d, variant);
  rec.submit();  // warm-up (and pipeline creation)
  std::vector<double> samples;
  for (int r = 0; r < std::max(repeats, 5); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    rec.submit();
    const auto t1 = std::chrono::steady_clock::now();
    samples.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / per_submit);
  }
  std::sort(samples.begin(), samples.end());
  KernelBenchRecord out;
  out.kernel = variant == vk::KernelVariant::Cpu ? "attention_cpu" : "attention_gpu";
  out.shape = shape(s);
  out.dtype = "f32";
  out.us = samples[samples.size() / 2];
  out.gflops = flops / (out.us * 1e3);
  out.gbps = double(2 * q_n + 2 * kv_n) * 4 / (out.us * 1e3);
  return out;
}

}  // namespace

std::vector<KernelBenchRecord> run_attention_bench(vk::Context& ctx, vk::KernelVariant variant,
                                                      const AttentionBenchOptions& options) {
  std::vector<Shape> shapes{{1, 577, 577, 12, 64, MaskKind::None, 0, "encoder self 577"},
                            {1, 577, 577, 12, 64, MaskKind::None, 0, "encoder self 577", true},
                            {1, 1, 577, 12, 64, MaskKind::None, 0, "decode cross 577"},
                            {1, 1, 577, 12, 64, MaskKind::None, 0, "decode cross 577", false, 12},
                            {3, 1, 577, 12, 64, MaskKind::None, 0, "decode cross 577 beam 3"},
                            {3, 1, 577, 12, 64, MaskKind::None, 0, "decode cross 577 beam 3", false, 12}};
  const std::vector<int> lengths = options.quick ? std::vector<int>{1, 20} : std::vector<int>{1, 5, 10, 20};
  for (int t : lengths)
    shapes.push_back({1, 1, t, 12, 64, MaskKind::Causal, t - 1, "decode causal self"});
  std::vector<KernelBenchRecord> out;
  for (const Shape& s : shapes) out.push_back(time_shape(ctx, variant, s, options.repeats));
  return out;
}

}  // namespace vkcap::cli
