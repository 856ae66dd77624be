// src/kernels/channel_attention_host.h  (channel attention as host sgemms, on a CPU device)
#pragma once
#include "kernels/channel_attention.h"

namespace vkcap::kernels {

// Records channel attention (args checked by record_channel_attention, strides resolved) as one
// host step: per group g, S = scale · q_gᵀ·k_g (one sgemm reducing over the N tokens), the row
// softmax of S into attn, then out_g = v_g · A_gᵀ (one sgemm). The groups run on the host pool.
void record_channel_attention_host(vk::Recorder& rec, const ChannelAttentionArgs& args, int qkv_stride,
                                   int out_stride);

}  // namespace vkcap::kernels
