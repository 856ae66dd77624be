#pragma once
// A named tensor as a checkpoint stores it: element type, shape and the raw little-endian bytes
// (a view into a memory-mapped file, or into a copy its reader owns). The format readers
// (safetensors.h, torch_checkpoint.h) hand these out; WeightStore (weight_store.h) finds them
// by name over a whole model directory.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vkcap::model {

// Element types a checkpoint may hold. Weights are F32, F16 or BF16; the integer types occur only
// as buffers (e.g. GPT-2's old `attn.bias` masks, BERT's `position_ids`) and are never converted.
enum class DType { F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F64 };

// "F32", "F16", ... as safetensors spells them.
std::string_view dtype_name(DType dtype);
size_t dtype_size(DType dtype);
// Parses a safetensors dtype string; nullopt for anything vkcap does not know.
std::optional<DType> parse_dtype(std::string_view name);
bool is_float_weight(DType dtype);  // F32, F16 or BF16

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;       // row-major, contiguous
  std::span<const uint8_t> bytes;   // exactly element_count() * dtype_size(dtype) bytes

  int64_t element_count() const;
};

// "[3, 32, 32]"
std::string shape_string(std::span<const int64_t> shape);

// Product of the dimensions; throws vkcap::Error (naming `what`) on a negative dimension or on
// overflow past 2^62 elements.
int64_t checked_element_count(std::span<const int64_t> shape, std::string_view what);

// IEEE half / bfloat16 bit patterns <-> float. f16 rounding is round-to-nearest-even with
// subnormals, overflow to infinity and NaN kept a (quiet) NaN.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t b);  // exact

// The tensor's values as float32 / float16. F32/F16/BF16 only; anything else throws naming the
// tensor and its dtype (integer buffers are never weights).
std::vector<float> to_f32(const TensorView& view);
std::vector<uint16_t> to_f16(const TensorView& view);

}  // namespace vkcap::model
