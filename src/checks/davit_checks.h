#pragma once
// Checks of the DaViT vision tower's kernels (Florence-2) against plain fp64 transcriptions of
// Microsoft's modules: window attention (kernels/window_attention.h), channel attention
// (kernels/channel_attention.h), the strided padded Conv2d as patches + matmul and the
// depthwise conv (kernels/conv.h).
#include <cstdint>
#include <vector>

#include "checks/check_result.h"
#include "kernels/conv.h"

namespace vkcap::checks {

struct WindowAttentionCase {
  int height, width, window, channels, heads;
  int chunk;  // windows per chunk the scratch holds (0 = all)
};
std::vector<WindowAttentionCase> window_attention_cases();
// on_host: the qkv weight lives on the host (a CPU device's host products), which takes the host
// path (kernels/window_attention_host.h); variant then only names the family of the rest.
CheckResult check_window_attention(const CheckRun& run, vk::KernelVariant variant, const WindowAttentionCase& c,
                                   bool on_host = false);

struct ChannelAttentionCase {
  int tokens, channels, groups, extra_stride;
  float range;
};
std::vector<ChannelAttentionCase> channel_attention_cases();
// The output, and every attention row summing to 1; on_host: as host sgemms (a CPU device).
CheckResult check_channel_attention(const CheckRun& run, const ChannelAttentionCase& c, bool on_host = false);

struct Conv2dCase {
  kernels::ConvShape shape;
  int out;
  uint64_t scratch_rows;  // patch rows per block
};
std::vector<Conv2dCase> conv2d_cases();
// on_host: a host weight (a CPU device's host products), so patches and product run on the host.
CheckResult check_conv2d(const CheckRun& run, vk::KernelVariant variant, const Conv2dCase& c, bool on_host = false);

struct DepthwiseCase {
  int h, w, c, k;
  bool add;
};
std::vector<DepthwiseCase> depthwise_cases();
CheckResult check_depthwise(const CheckRun& run, const DepthwiseCase& c, bool on_host = false);

}  // namespace vkcap::checks
