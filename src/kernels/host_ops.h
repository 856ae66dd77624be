// src/kernels/host_ops.h  (the vision tower's memory-bound steps as host steps, on a CPU device)
#pragma once
// On a CPU device whose buffers are the host's memory (kernels/linear_host.h), an encoder's
// element-wise and gather steps over tens of thousands of token rows run several times faster
// as plain loops on the host's threads than through lavapipe's compiled shaders, and each saves
// the device round trip around the host products beside it. Same math and argument rules as
// the shaders; record_* call these after checking the arguments.
#include "kernels/conv.h"
#include "kernels/ops.h"

namespace vkcap::kernels {

// Rows [first_row, first_row + rows) of the patch matrix (record_conv_patches' layout).
void record_conv_patches_host(vk::Recorder& rec, BufferRef input, const ConvShape& shape, BufferRef patches,
                              int first_row, int rows);
// record_depthwise_conv's math.
void record_depthwise_conv_host(vk::Recorder& rec, const DepthwiseConvArgs& args);
// record_layer_norm's math (strides resolved: x_stride, residual_stride, y_stride ≥ d).
void record_layer_norm_host(vk::Recorder& rec, const LayerNormArgs& args);

}  // namespace vkcap::kernels
