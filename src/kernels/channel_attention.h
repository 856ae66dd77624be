// src/kernels/channel_attention.h  (DaViT's ChannelAttention, without its output projection)
#pragma once
#include "kernels/buffer_ref.h"
#include "vk/recorder.h"

namespace vkcap::kernels {

// Attention across channels instead of tokens. With qkv rows [N, 3C] (q | k | v, the qkv
// linear's output) and Dg = C / groups channels per group g:
//   A_g = softmax_rows( (q_g · N^-1/2)ᵀ · k_g )      Dg×Dg, softmax over each row's Dg entries
//   out[n, g·Dg + i] = Σ_j A_g[i, j] · v_g[n, j]     i.e. out_g = v_g · A_gᵀ = (A_g · v_gᵀ)ᵀ
// (q_g: the N×Dg columns of group g). `attn` receives the C·Dg floats of A, stored [Dg, C]:
// attn[j·C + g·Dg + i] = A_g[i, j] (the layout the mixing step reads fastest); out [N, C]
// must not share a buffer with qkv. Dg ≤ 256 and C ≤ what one workgroup's shared memory holds
// (4096 channels with the guaranteed 16 KiB).
struct ChannelAttentionArgs {
  BufferRef qkv;
  int tokens = 0, channels = 0, groups = 1;
  int qkv_stride = 0;  // floats per qkv row; 0 = 3C
  BufferRef attn;
  BufferRef out;
  int out_stride = 0;  // 0 = C
  // Run as host matrix products (two sgemms per group on the mapped buffers) instead of the two
  // shaders: on a CPU device whose memory is the host's (kernels/linear_host.h) they are 10-20×
  // faster. Same math, same outputs (attn included).
  bool on_host = false;
};
void record_channel_attention(vk::Recorder& rec, const ChannelAttentionArgs& args);

}  // namespace vkcap::kernels
