#pragma once
// IEEE binary16 conversions used when packing fp16 weights (and by tests to build the
// reference of the rounded weights): round to nearest even, subnormals kept, overflow to inf.
#include <cstdint>

namespace vkcap::kernels {

uint16_t float_to_half(float value);
float half_to_float(uint16_t half);
inline float round_to_half(float value) { return half_to_float(float_to_half(value)); }

}  // namespace vkcap::kernels
