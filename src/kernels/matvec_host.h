// src/kernels/matvec_host.h  (decode-step products of several rows on the host, on a CPU device)
#pragma once
// A decode step multiplies a few rows (the images of a batch, the beams) by every decoder
// weight. On a CPU device (lavapipe) the Cpu matrix-vector kernel reads the weights once for up
// to 4 rows at memory speed, but 5–8 rows spill its registers, so it runs two row groups and reads
// every weight twice. The same product as a host step reads the packed weight once, straight
// from the device's mapped memory (no second copy: the bytes the shader reads), for all rows.
#include "kernels/linear.h"

namespace vkcap::kernels {

// Rows from which a matrix-vector product (m ≤ kLinearMatVecMaxRows) goes to the host.
inline constexpr int kHostMatVecMinRows = 5;

// Whether record_linear runs this product on the host: `m` rows in [kHostMatVecMinRows,
// kLinearMatVecMaxRows], a Cpu-packed weight in mapped memory, and host products enabled.
bool matvec_on_host(const vk::Context& ctx, const PackedWeight& w, int m);

// Records y = act(x·W + b) (+ residual) as a host step (strides resolved and args checked by
// record_linear; no norm).
void record_matvec_host(vk::Recorder& rec, const LinearArgs& args, int x_stride, int y_stride, int residual_stride);

}  // namespace vkcap::kernels
