#include "kernels/channel_attention_host.h"

#include <cblas.h>

#include <cmath>
#include <vector>

#include "kernels/host_epilogue.h"
#include "kernels/host_pool.h"
#include "kernels/linear_host.h"

namespace vkcap::kernels {

namespace {

struct HostChannelAttention {
  const float* qkv = nullptr;
  float* attn = nullptr;
  float* out = nullptr;
  int tokens = 0, channels = 0, groups = 0, qkv_stride = 0, out_stride = 0;

  void operator()() const {
    SingleThreadedBlas single_threaded;
    HostPool::instance().run(groups, [this](int g) { group(g); });
  }

  void group(int g) const {
    const int c = channels, dg = c / groups, first = g * dg;
    // torch: float(N) ** -0.5 is computed in double and applied in fp32, as the shader does.
    const float scale = float(std::pow(double(tokens), -0.5));
    std::vector<float> a(size_t(dg) * dg);  // A_g, row-major [i, j]
    const float* q = qkv + first;
    const float* k = qkv + c + first;
    const float* v = qkv + 2 * c + first;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dg, dg, tokens, scale, q, qkv_stride, k, qkv_stride, 0.0f,
                a.data(), dg);
    for (int i = 0; i < dg; ++i) {
      float* row = &a[size_t(i) * dg];
      host_softmax_row(row, dg);
      for (int j = 0; j < dg; ++j) attn[size_t(j) * c + first + i] = row[j];  // the [Dg, C] layout channel_mix.comp reads
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, dg, dg, 1.0f, v, qkv_stride, a.data(), dg, 0.0f,
                out + first, out_stride);
  }
};

}  // namespace

void record_channel_attention_host(vk::Recorder& rec, const ChannelAttentionArgs& args, int qkv_stride,
                                   int out_stride) {
  HostChannelAttention step;
  step.qkv = mapped_floats(args.qkv);
  step.attn = mapped_floats(args.attn);
  step.out = mapped_floats(args.out);
  step.tokens = args.tokens, step.channels = args.channels, step.groups = args.groups;
  step.qkv_stride = qkv_stride, step.out_stride = out_stride;
  rec.host("host_channel_attention", step);
}

}  // namespace vkcap::kernels
