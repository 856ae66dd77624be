// Image files from strangers: decode_image_memory (format sniffing, header checks, the
// decoders, EXIF orientation), then preprocessing with the BLIP (384² bicubic) and ViT (224² bilinear)
// processor defaults. The first byte is flags (bit 0: apply EXIF orientation, bit 1: also
// preprocess); the rest is the file.
//
// Pixel budget: decode_image refuses more than 100 MP, which is right for a user but would make
// each such input take seconds here; the fuzzer lowers the limit to 4 MP (DecodeOptions::
// max_pixels, checked from every format's header before decoding), so it spends its time on
// the parsers (the 100 MP limit has its own unit tests).
//
// Formats: PNG, JPEG, BMP, GIF (stb_image), WebP (libwebp), TIFF (libtiff), HEIF and AVIF
// (libheif); seeds for each in tests/fuzz/corpus/image/seed_* (make_seeds.py).
#include "fuzz_support.h"
#include "image/image.h"
#include "image/preprocess.h"
#include "util/error.h"

namespace {

constexpr int64_t kFuzzPixelBudget = int64_t(1) << 22;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const vkcap::fuzz::Bytes file(data + 1, size - 1);
  vkcap::image::DecodeOptions options;
  options.apply_exif_orientation = (data[0] & 1) != 0;
  options.max_pixels = kFuzzPixelBudget;
  try {
    const vkcap::image::Image image = vkcap::image::decode_image_memory(file, "fuzz.img", options);
    if (image.width < 1 || image.height < 1 ||
        image.rgb.size() != size_t(image.width) * size_t(image.height) * 3)
      __builtin_trap();
    if (!(data[0] & 2)) return 0;  // preprocessing costs more than decoding: only when asked
    // Resizing is linear in the pixels but a 4 MP resize takes ~12 s under ASan: keep to 1 MP.
    if (int64_t(image.width) * image.height > (int64_t(1) << 20)) return 0;
    static const vkcap::image::PreprocessConfig blip = vkcap::image::PreprocessConfig::blip_defaults();
    static const vkcap::image::PreprocessConfig vit = vkcap::image::PreprocessConfig::vit_defaults();
    if (vkcap::image::preprocess(image, blip).size() != size_t(3) * 384 * 384) __builtin_trap();
    if (vkcap::image::preprocess(image, vit).size() != size_t(3) * 224 * 224) __builtin_trap();
  } catch (const vkcap::Error&) {
  }
  return 0;
}
