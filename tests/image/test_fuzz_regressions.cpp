// Preprocessing inputs that once overflowed or allocated without bound (also kept as regress_*
// inputs of tests/fuzz/corpus/json_configs, replayed by test_fuzz_replay).
#include <doctest/doctest.h>

#include <string>

#include "image/preprocess.h"
#include "util/error.h"

namespace {

vkcap::image::Image blank(int width, int height) {
  vkcap::image::Image image;
  image.width = width;
  image.height = height;
  image.rgb.assign(size_t(width) * height * 3, 0);
  return image;
}

std::string error_of(auto&& fn) {
  try {
    fn();
  } catch (const vkcap::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("shortest_edge resizing of a very elongated image is refused instead of overflowing int") {
  // 1048576 · 1048576 / 1 does not fit an int; it was cast anyway (undefined behaviour).
  auto config = vkcap::image::parse_preprocess_config(R"({"size": {"shortest_edge": 1048576}})", "p.json");
  vkcap::image::Image image;
  image.width = 1 << 20;
  image.height = 1;
  CHECK(error_of([&] { vkcap::image::preprocess_output_size(image, config); }) ==
        "preprocess: resizing a 1048576x1 image gives 1048577x1048576, outside the limits (each side "
        "1..1048576, at most 100000000 pixels)");
}

TEST_CASE("shortest_edge resizing that stays within the limits keeps HF's truncation") {
  auto config = vkcap::image::parse_preprocess_config(R"({"size": {"shortest_edge": 7}})", "p.json");
  CHECK(vkcap::image::preprocess_output_size(blank(3, 10), config) == std::pair{7, 23});
  CHECK(vkcap::image::preprocess_output_size(blank(10, 3), config) == std::pair{23, 7});
}

TEST_CASE("a preprocessor size over 100 megapixels is refused before anything is allocated") {
  auto config = vkcap::image::parse_preprocess_config(R"({"size": {"height": 1048576, "width": 1048576}})", "p.json");
  CHECK(error_of([&] { vkcap::image::preprocess(blank(2, 2), config); }).find("at most 100000000 pixels") !=
        std::string::npos);
}

TEST_CASE("preprocessor_config.json nested a million levels deep is an error, not a stack overflow") {
  const std::string text = R"({"image_mean": )" + std::string(1'000'000, '[') + std::string(1'000'000, ']') + "}";
  CHECK(error_of([&] { vkcap::image::parse_preprocess_config(text, "m/preprocessor_config.json"); })
            .starts_with("m/preprocessor_config.json: JSON nests deeper than 256 levels"));
}
