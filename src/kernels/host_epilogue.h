// src/kernels/host_epilogue.h  (host steps' element-wise work: a product's epilogue, a softmax row)
#pragma once
#include "kernels/linear.h"

namespace vkcap::kernels {

// dst[c] = act(product[c] + bias[c]) + residual[c] for c in [0, n) (bias and residual may be
// null; dst may be product or residual). The GELU forms are the shaders' own (gelu.glsl), the
// same float polynomials and range reductions written so that the compiler vectorises them:
// the CPU and GPU paths round alike, and a Florence-2 image's 150 M GELUs cost ~0.1 s instead
// of the ~1 s of a libm erf per element.
void host_epilogue_row(const float* product, const float* bias, const float* residual, float* dst, int n,
                       Activation activation);

// row = softmax(row) in place: e^(x − max) with gelu.glsl's exp (vectorised), divided by the sum.
void host_softmax_row(float* row, int n);

// One element of each GELU form (for tests; the row function inlines the same code).
float host_gelu_erf(float x);
float host_gelu_tanh(float x);

}  // namespace vkcap::kernels
