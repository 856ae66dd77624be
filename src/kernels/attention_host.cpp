#include "kernels/attention_host.h"

#include <cblas.h>

#include <vector>

#include "kernels/host_epilogue.h"
#include "kernels/host_pool.h"
#include "kernels/linear_host.h"

namespace vkcap::kernels {

void attend_head_on_host(const HostHead& h) {
  thread_local std::vector<float> scores;
  scores.resize(size_t(h.lq) * h.lk);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, h.lq, h.lk, h.head_dim, h.scale, h.q, int(h.q_stride), h.k,
              int(h.k_stride), 0.0f, scores.data(), h.lk);
  for (int r = 0; r < h.lq; ++r) host_softmax_row(&scores[size_t(r) * h.lk], h.lk);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, h.lq, h.head_dim, h.lk, 1.0f, scores.data(), h.lk, h.v,
              int(h.v_stride), 0.0f, h.out, int(h.out_stride));
}

bool attention_fits_host(const AttentionArgs& a) {
  return a.mask == MaskKind::None && !a.probs.buffer && a.q.buffer && a.q.buffer->mapped() && a.k.buffer &&
         a.k.buffer->mapped() && a.v.buffer && a.v.buffer->mapped() && a.out.buffer && a.out.buffer->mapped();
}

void record_attention_host(vk::Recorder& rec, const AttentionArgs& a) {
  const float* q = mapped_floats(a.q);
  const float* k = mapped_floats(a.k);
  const float* v = mapped_floats(a.v);
  float* out = mapped_floats(a.out);
  rec.host("host_attention", [=] {
    SingleThreadedBlas single_threaded;
    HostPool::instance().run(a.batch * a.heads, [&](int task) {
      const int b = task / a.heads, h = task % a.heads, kb = b / a.kv_batch_divisor;
      const int64_t column = int64_t(h) * a.head_dim;
      attend_head_on_host({.q = q + b * a.q_batch_stride + column,
                           .k = k + kb * a.k_batch_stride + column,
                           .v = v + kb * a.v_batch_stride + column,
                           .out = out + b * a.out_batch_stride + column,
                           .q_stride = a.q_row_stride, .k_stride = a.k_row_stride,
                           .v_stride = a.v_row_stride, .out_stride = a.out_row_stride,
                           .lq = a.lq, .lk = a.lk, .head_dim = a.head_dim, .scale = a.scale});
    });
  });
}

}  // namespace vkcap::kernels
