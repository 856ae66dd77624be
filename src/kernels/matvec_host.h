// src/kernels/matvec_host.h  (decode-step products on the host, on a CPU device)
#pragma once
// A decode step multiplies a few rows (one caption, the beams, the images of a batch) by every
// decoder weight. On a CPU device (lavapipe) the Cpu matrix-vector shader reads the weights at
// 9–15 GB/s, and 5–8 rows spill its registers, so it runs two row groups and reads every weight
// twice. The same product as a host step reads the packed weight once, straight from the
// device's mapped memory (no second copy: the bytes the shader reads), for all rows, at what the
// memory gives (BLIP-base fp16 greedy: 16 GB/s, a decode step 28 → 15 ms).
#include "kernels/linear.h"

namespace vkcap::kernels {

// Whether record_linear runs this product on the host: a matrix-vector product (1 to
// kLinearMatVecMaxRows rows; the host was measured faster from one row on, docs/performance.md)
// of a Cpu-packed weight in mapped memory, with host products enabled. A folded layer norm
// (LinearArgs::norm) then runs as a host step of its own first.
bool matvec_on_host(const vk::Context& ctx, const PackedWeight& w, int m);

// Records y = act(x·W + b) (+ residual) as a host step (strides resolved and args checked by
// record_linear; no norm).
void record_matvec_host(vk::Recorder& rec, const LinearArgs& args, int x_stride, int y_stride, int residual_stride);

}  // namespace vkcap::kernels
