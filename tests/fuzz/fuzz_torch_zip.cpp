// pytorch_model.bin: the zip directory on bytes in memory (read_stored_zip), then the whole
// checkpoint reader (zip + unpickler + storage views + strided copies) over the same bytes
// written to a file, since TorchCheckpoint maps its file.
#include "fuzz_support.h"
#include "model/torch_checkpoint.h"
#include "model/zip_reader.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vkcap::fuzz::Bytes bytes(data, size);
  try {
    for (const auto& entry : vkcap::model::read_stored_zip(bytes, "fuzz.bin")) vkcap::fuzz::touch(entry.data);
  } catch (const vkcap::Error&) {
  }
  try {
    const auto path = vkcap::fuzz::scratch_dir("torch_zip") / "pytorch_model.bin";
    vkcap::fuzz::write_file(path, bytes);
    const vkcap::model::TorchCheckpoint checkpoint(path);
    for (const auto& t : checkpoint.tensors()) {
      vkcap::fuzz::touch(t.bytes);
      if (int64_t(t.bytes.size()) != t.element_count() * int64_t(vkcap::model::dtype_size(t.dtype))) __builtin_trap();
    }
  } catch (const vkcap::Error&) {
  }
  return 0;
}
