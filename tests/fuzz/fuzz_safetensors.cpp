// parse_safetensors on arbitrary bytes: must return views inside the input or throw
// vkcap::Error; any other exception, crash, leak or sanitizer report is a bug.
#include "fuzz_support.h"
#include "model/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto contents = vkcap::model::parse_safetensors({data, size}, "fuzz.safetensors");
    for (const auto& t : contents.tensors) {
      vkcap::fuzz::touch(t.bytes);
      // Conversions size their output from the shape: it must agree with the bytes.
      if (vkcap::model::is_float_weight(t.dtype)) {
        const auto f32 = vkcap::model::to_f32(t);
        const auto f16 = vkcap::model::to_f16(t);
        if (f32.size() * vkcap::model::dtype_size(t.dtype) != t.bytes.size() || f16.size() != f32.size()) __builtin_trap();
      }
    }
  } catch (const vkcap::Error&) {
  }
  return 0;
}
