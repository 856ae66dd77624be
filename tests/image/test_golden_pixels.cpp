// pixel_values for the golden fixtures' images equal transformers 4.40.2's, tensor for tensor.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "fixture_files.h"
#include "image/image.h"
#include "image/preprocess.h"

using namespace vkcap;
using namespace test_image;

namespace {

void check_fixture(const std::string& name) {
  // The model fixtures (transformers 4.40.2 output), shared with the other layers' tests.
  const auto dir = std::filesystem::path(VKCAP_FIXTURES_DIR) / name;
  const auto expected = read_json(dir / "expected.json");
  const double tolerance = expected.at("tolerances").at("pixel_values").at("max_abs");
  const image::PreprocessConfig config = image::load_preprocess_config(dir / "preprocessor_config.json");

  int index = 0;
  for (const auto& record : expected.at("images")) {
    const std::string tensor = "img" + std::to_string(index++) + ".pixel_values";
    const std::string file = record.at("file");
    CAPTURE(name);
    CAPTURE(file);
    const image::Image image = image::decode_image(dir / file);
    const std::vector<float> pixels = image::preprocess(image, config);

    const auto& summary = record.at("pixel_values");
    const auto shape = summary.at("shape").get<std::vector<int64_t>>();  // [1, 3, H, W]
    const auto [width, height] = image::preprocess_output_size(image, config);
    CHECK(shape == std::vector<int64_t>{1, 3, height, width});
    REQUIRE(pixels.size() == size_t(3 * height * width));

    const auto first16 = summary.at("first16").get<std::vector<double>>();
    for (size_t i = 0; i < first16.size(); ++i) CHECK(std::fabs(pixels[i] - first16[i]) <= tolerance);
    double sum = 0, sum_abs = 0;
    for (float v : pixels) {
      sum += v;
      sum_abs += std::fabs(v);
    }
    const double expected_sum = summary.at("sum"), expected_sum_abs = summary.at("sum_abs");
    CHECK(std::fabs(sum - expected_sum) <= 1e-4 * std::max(1.0, std::fabs(expected_sum)));
    CHECK(std::fabs(sum_abs - expected_sum_abs) <= 1e-4 * std::max(1.0, expected_sum_abs));
    CHECK(*std::min_element(pixels.begin(), pixels.end()) == doctest::Approx(double(summary.at("min"))).epsilon(1e-6));
    CHECK(*std::max_element(pixels.begin(), pixels.end()) == doctest::Approx(double(summary.at("max"))).epsilon(1e-6));

    // The whole tensor: bit-exact resize makes every element equal (not merely close).
    const Tensor full = read_safetensors_f32(dir / "expected_tensors.safetensors", tensor);
    CHECK(full.shape == std::vector<int64_t>{3, height, width});
    REQUIRE(full.values.size() == pixels.size());
    double max_abs = 0;
    size_t worst = 0;
    for (size_t i = 0; i < pixels.size(); ++i) {
      const double d = std::fabs(double(pixels[i]) - full.values[i]);
      if (d > max_abs) max_abs = d, worst = i;
    }
    CAPTURE(worst);
    CHECK(max_abs == 0.0);
  }
}

}  // namespace

TEST_CASE("BLIP fixture a (bicubic, shrink 80x56 and enlarge 20x20 to 32x32) matches transformers") {
  check_fixture("blip_tiny_a");
}
TEST_CASE("BLIP fixture b (bicubic to 48x48, from 37x61 and 16x24) matches transformers") {
  check_fixture("blip_tiny_b");
}
TEST_CASE("ViT-GPT2 fixture a (bilinear to 32x32) matches transformers") {
  check_fixture("vitgpt2_tiny_a");
}
TEST_CASE("ViT-GPT2 fixture b (bilinear to 48x48, from 61x37 and 24x16) matches transformers") {
  check_fixture("vitgpt2_tiny_b");
}
