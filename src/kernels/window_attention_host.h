// src/kernels/window_attention_host.h  (window attention as host products, on a CPU device)
#pragma once
#include "kernels/window_attention.h"

namespace vkcap::kernels {

// Whether record_window_attention takes the host path: the qkv weight lives on the host (a CPU
// device, kernels/linear_host.h) and window_qkv holds the qkv rows of every token at once.
bool window_attention_on_host(const WindowAttentionArgs& args);

// The host path (args checked by record_window_attention): qkv = x·Wqkv + b for all tokens in
// one host product straight from the token rows (no partition: a padding row's q, k and v are
// the bias), then one host step where each (window, head) gathers its rows, multiplies
// S = q·kᵀ/√d and S·v with sgemm, and writes the in-image rows of o to out.
void record_window_attention_host(vk::Recorder& rec, const WindowAttentionArgs& args);

}  // namespace vkcap::kernels
