#pragma once
// IEEE binary16 conversions used when packing fp16 weights (and by tests to build the
// reference of the rounded weights): round to nearest even, subnormals kept, overflow to inf.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vkcap::kernels {

uint16_t float_to_half(float value);
float half_to_float(uint16_t half);
// half_to_float over n values, vectorised (the host products widen fp16 weights as they go):
// the CPU's conversion instruction where it has one (AVX-512F, F16C), else the portable loop.
void halves_to_floats(const uint16_t* halves, float* floats, size_t n);
// Every way of widening this CPU can run, named, slowest first (the portable loop, then the
// instruction paths it supports): halves_to_floats uses the last, tests compare each one.
struct HalfWidening {
  const char* name;
  void (*widen)(const uint16_t* halves, float* floats, size_t n);
};
std::vector<HalfWidening> half_widenings_on_this_cpu();
inline float round_to_half(float value) { return half_to_float(float_to_half(value)); }

}  // namespace vkcap::kernels
