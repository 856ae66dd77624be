#include "kernels/window_attention_host.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/attention_host.h"
#include "kernels/host_pool.h"
#include "kernels/linear_host.h"

namespace vkcap::kernels {

namespace {

struct HostWindowAttention {
  const float* qkv = nullptr;   // [H·W, 3C]
  const float* bias = nullptr;  // [3C]: a padding row's qkv (its x is 0), or null for 0
  float* out = nullptr;         // [H·W, C]
  WindowGrid grid;
  int channels = 0, heads = 1;

  void operator()() const {
    SingleThreadedBlas single_threaded;
    HostPool::instance().run(grid.windows() * heads, [this](int task) { attend(task / heads, task % heads); });
  }

  // The token row of window position p of window w, or -1 for padding.
  int token_of(int w, int p) const {
    const int y = (w / grid.windows_x()) * grid.window + p / grid.window;
    const int x = (w % grid.windows_x()) * grid.window + p % grid.window;
    return y < grid.height && x < grid.width ? y * grid.width + x : -1;
  }

  void attend(int w, int h) const {
    const int area = grid.window_area(), c = channels, d = c / heads;
    thread_local std::vector<float> q, k, v, o;
    q.resize(size_t(area) * d), k.resize(q.size()), v.resize(q.size()), o.resize(q.size());
    static const std::vector<float> zeros(size_t(3) * 4096);
    for (int p = 0; p < area; ++p) {
      const int t = token_of(w, p);
      const float* row = t >= 0 ? qkv + size_t(t) * 3 * c : (bias ? bias : zeros.data());
      std::memcpy(&q[size_t(p) * d], row + h * d, d * sizeof(float));
      std::memcpy(&k[size_t(p) * d], row + c + h * d, d * sizeof(float));
      std::memcpy(&v[size_t(p) * d], row + 2 * c + h * d, d * sizeof(float));
    }
    attend_head_on_host({.q = q.data(), .k = k.data(), .v = v.data(), .out = o.data(), .q_stride = d,
                         .k_stride = d, .v_stride = d, .out_stride = d, .lq = area, .lk = area, .head_dim = d,
                         .scale = 1.0f / std::sqrt(float(d))});
    for (int p = 0; p < area; ++p) {
      const int t = token_of(w, p);
      if (t >= 0) std::memcpy(out + size_t(t) * c + h * d, &o[size_t(p) * d], d * sizeof(float));
    }
  }
};

}  // namespace

bool window_attention_on_host(const WindowAttentionArgs& a) {
  const uint64_t tokens = uint64_t(a.grid.height) * a.grid.width;
  return a.qkv && a.qkv->host && a.window_qkv.buffer && a.window_qkv.available() >= tokens * 3 * a.channels &&
         a.channels <= 4096;
}

void record_window_attention_host(vk::Recorder& rec, const WindowAttentionArgs& a) {
  const int tokens = a.grid.height * a.grid.width;
  record_linear(rec, {.w = a.qkv, .x = a.x, .m = tokens, .y = a.window_qkv});
  HostWindowAttention step;
  step.qkv = mapped_floats(a.window_qkv);
  step.bias = a.qkv->host->bias.empty() ? nullptr : a.qkv->host->bias.data();
  step.out = mapped_floats(a.out);
  step.grid = a.grid;
  step.channels = a.channels, step.heads = a.heads;
  rec.host("host_window_attention", step);
}

}  // namespace vkcap::kernels
