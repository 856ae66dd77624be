#include "model/tensor_view.h"

#include <array>
#include <bit>
#include <cstring>

#include "util/error.h"

namespace vkcap::model {

namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, 10> kDTypes{{
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8},
    {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},
    {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1},
    {DType::F64, "F64", 8},
}};

const DTypeInfo& info(DType dtype) {
  for (const auto& i : kDTypes)
    if (i.dtype == dtype) return i;
  throw Error("internal: unknown dtype");
}

// Checkpoints are little-endian, and so is every host vkcap runs on; memcpy because the bytes of a
// mapped file need not be aligned for the element type.
template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Error not_float(const TensorView& view) {
  return Error("tensor '" + view.name + "': dtype " + std::string(dtype_name(view.dtype)) +
               " is not a float weight type (F32, F16, BF16)");
}

}  // namespace

std::string_view dtype_name(DType dtype) { return info(dtype).name; }
size_t dtype_size(DType dtype) { return info(dtype).size; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& i : kDTypes)
    if (i.name == name) return i.dtype;
  return std::nullopt;
}

bool is_float_weight(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

int64_t TensorView::element_count() const { return checked_element_count(shape, name); }

std::string shape_string(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t checked_element_count(std::span<const int64_t> shape, std::string_view what) {
  constexpr int64_t kLimit = int64_t{1} << 62;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      throw Error(std::string(what) + ": negative dimension in shape " + shape_string(shape));
    if (d != 0 && n > kLimit / d)
      throw Error(std::string(what) + ": shape " + shape_string(shape) + " is too large");
    n *= d;
  }
  return n;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float v = float(mantissa) * 0x1p-24f;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(v) | sign);
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t f32_to_f16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  uint32_t a = x & 0x7fffffffu;
  if (a >= 0x7f800000u)  // inf stays inf, NaN stays a quiet NaN with its top payload bits
    return sign | 0x7c00 | (a > 0x7f800000u ? uint16_t(0x200 | ((a >> 13) & 0x3ff)) : 0);
  if (a >= 0x477ff000u) return sign | 0x7c00;  // >= 65520 rounds (to even) past 65504
  if (a < 0x38800000u) {
    // Below 2^-14, the half subnormal range: adding 0.5 puts the float's last mantissa bit at
    // 2^-24, so the FPU's own round-to-nearest-even rounds to the half's subnormal step.
    float r = std::bit_cast<float>(a) + 0.5f;
    return sign | uint16_t(std::bit_cast<uint32_t>(r) - 0x3f000000u);
  }
  // Normal: rebias the exponent (127 -> 15), then round the 13 dropped bits to nearest even.
  const uint32_t odd = (a >> 13) & 1;
  a += 0xc8000fffu + odd;
  return sign | uint16_t(a >> 13);
}

float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }

std::vector<float> to_f32(const TensorView& view) {
  const size_t n = size_t(view.element_count());
  std::vector<float> out(n);
  const uint8_t* p = view.bytes.data();
  switch (view.dtype) {
    case DType::F32:
      if (n) std::memcpy(out.data(), p, n * 4);
      break;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) out[i] = f16_to_f32(load<uint16_t>(p + 2 * i));
      break;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load<uint16_t>(p + 2 * i));
      break;
    default:
      throw not_float(view);
  }
  return out;
}

std::vector<uint16_t> to_f16(const TensorView& view) {
  const size_t n = size_t(view.element_count());
  std::vector<uint16_t> out(n);
  const uint8_t* p = view.bytes.data();
  switch (view.dtype) {
    case DType::F32:
      for (size_t i = 0; i < n; ++i) out[i] = f32_to_f16(load<float>(p + 4 * i));
      break;
    case DType::F16:
      if (n) std::memcpy(out.data(), p, n * 2);
      break;
    case DType::BF16:
      // bf16 -> f32 is exact, so this is a single rounding.
      for (size_t i = 0; i < n; ++i) out[i] = f32_to_f16(bf16_to_f32(load<uint16_t>(p + 2 * i)));
      break;
    default:
      throw not_float(view);
  }
  return out;
}

}  // namespace vkcap::model
