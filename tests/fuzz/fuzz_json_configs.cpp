// The JSON files of a model directory. The first byte picks the reader:
//   'c' config.json                   (parse_model_config)
//   'p' preprocessor_config.json      (parse_preprocess_config, then the output size it gives
//                                      for extreme image shapes, and preprocessing a tiny image)
//   'i' model.safetensors.index.json  (WeightStore over a scratch directory; the part after a
//                                      "--8<--" line, if any, is the shard file's content)
// anything else is ignored.
#include <string>

#include "fuzz_support.h"
#include "image/preprocess.h"
#include "model/config.h"
#include "model/weight_store.h"
#include "util/error.h"

namespace {

using vkcap::fuzz::Bytes;

void fuzz_model_config(Bytes text) {
  const vkcap::model::ModelConfig c =
      vkcap::model::parse_model_config(std::string(text.begin(), text.end()), "fuzz/config.json");
  // Derived sizes must not divide by zero or overflow (UBSan watches).
  (void)c.vision.num_positions();
  (void)c.vision.head_dim();
  (void)(c.arch == vkcap::model::Architecture::Blip ? c.blip_text.head_dim() : c.gpt2.head_dim());
}

void fuzz_preprocess_config(Bytes text) {
  const vkcap::image::PreprocessConfig c = vkcap::image::parse_preprocess_config(
      std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
      "fuzz/preprocessor_config.json");
  constexpr int kSide = vkcap::image::kMaxImageSide;
  const std::pair<int, int> shapes[] = {{1, 1}, {7, 3}, {3, 7}, {kSide, 1}, {1, kSide}, {kSide, kSide}};
  for (const auto& [w, h] : shapes) {
    vkcap::image::Image image;
    image.width = w;
    image.height = h;
    try {
      const auto [ow, oh] = vkcap::image::preprocess_output_size(image, c);
      if (ow < 1 || oh < 1 || ow > kSide || oh > kSide) __builtin_trap();
    } catch (const vkcap::Error&) {
    }
  }
  // Preprocessing itself, when the output is small enough for a fuzzing budget.
  vkcap::image::Image tiny;
  tiny.width = 5;
  tiny.height = 3;
  tiny.rgb.resize(5 * 3 * 3);
  for (size_t i = 0; i < tiny.rgb.size(); ++i) tiny.rgb[i] = uint8_t(i * 37);
  const auto [ow, oh] = vkcap::image::preprocess_output_size(tiny, c);
  if (int64_t(ow) * oh <= 1 << 16) {
    const auto pixels = vkcap::image::preprocess(tiny, c);
    if (pixels.size() != size_t(3) * ow * oh) __builtin_trap();
  }
}

// A valid one-tensor shard, used when the input carries none.
Bytes default_shard() {
  static const std::string shard = [] {
    const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    std::string s(8, '\0');
    for (size_t i = 0; i < 8; ++i) s[i] = char((header.size() >> (8 * i)) & 0xff);
    return s + header + std::string(8, '\1');
  }();
  return {reinterpret_cast<const uint8_t*>(shard.data()), shard.size()};
}

void fuzz_weight_index(Bytes input) {
  const auto parts = vkcap::fuzz::split_parts(input, 2);
  const auto dir = vkcap::fuzz::scratch_dir("json_configs");
  vkcap::fuzz::write_file(dir / "model.safetensors.index.json", parts[0]);
  vkcap::fuzz::write_file(dir / "model-00001-of-00001.safetensors", parts.size() > 1 ? parts[1] : default_shard());
  const vkcap::model::WeightStore store(dir);
  for (const auto& name : store.names()) vkcap::fuzz::touch(store.find(name)->bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Bytes rest(data + 1, size - 1);
  try {
    switch (data[0]) {
      case 'c': fuzz_model_config(rest); break;
      case 'p': fuzz_preprocess_config(rest); break;
      case 'i': fuzz_weight_index(rest); break;
      default: break;
    }
  } catch (const vkcap::Error&) {
  }
  return 0;
}
