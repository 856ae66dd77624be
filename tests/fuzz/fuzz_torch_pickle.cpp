// The restricted unpickler on an arbitrary data.pkl stream: a state dict or vkcap::Error,
// never code execution, a crash, a hang or unbounded memory.
#include "fuzz_support.h"
#include "model/pickle_reader.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto entries = vkcap::model::read_torch_state_dict_pickle({data, size}, "fuzz/data.pkl");
    for (const auto& e : entries)
      if (e.name.size() > size || e.tensor.storage.key.size() > size) __builtin_trap();
  } catch (const vkcap::Error&) {
  }
  return 0;
}
