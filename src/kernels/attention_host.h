// src/kernels/attention_host.h  (encoder attention as host products, on a CPU device)
#pragma once
#include <cstdint>

#include "kernels/attention.h"

namespace vkcap::kernels {

// One head of one batch element on the host: out = softmax(scale · q·kᵀ) · v, with q [lq, d],
// k and v [lk, d], out [lq, d] read and written with the given row strides (in floats). Two
// sgemms and a vectorised row softmax (host_epilogue.h); single-threaded, for a pool task.
struct HostHead {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  float* out = nullptr;
  int64_t q_stride = 0, k_stride = 0, v_stride = 0, out_stride = 0;
  int lq = 0, lk = 0, head_dim = 0;
  float scale = 1.0f;
};
void attend_head_on_host(const HostHead& head);

// Whether record_attention may take the host path for these arguments: no mask, no
// probabilities, and mapped buffers (the caller sets AttentionArgs::on_host where its products
// run on the host).
bool attention_fits_host(const AttentionArgs& args);
// The host path: one host step, (batch × heads) pool tasks of attend_head_on_host. Row and
// batch strides already resolved (non-zero).
void record_attention_host(vk::Recorder& rec, const AttentionArgs& resolved);

}  // namespace vkcap::kernels
