// preprocessor_config.json: the fixture and real hub variants, defaults, and wrong types.
#include <doctest/doctest.h>

#include <string>

#include "fixture_files.h"
#include "image/preprocess.h"
#include "util/error.h"

using namespace vkcap;

namespace {

std::string error_parsing(const std::string& json) {
  try {
    image::parse_preprocess_config(json, "m/preprocessor_config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

const auto kFixtures = std::filesystem::path(VKCAP_FIXTURES_DIR);

}  // namespace

TEST_CASE("the BLIP fixture config: 32x32 bicubic, CLIP mean/std, rescale 1/255") {
  const auto c = image::load_preprocess_config(kFixtures / "blip_tiny_a/preprocessor_config.json");
  CHECK(c.do_resize);
  CHECK(c.size.width == 32);
  CHECK(c.size.height == 32);
  CHECK(c.size.shortest_edge == 0);
  CHECK(c.resample == image::Resample::bicubic);
  CHECK(c.do_rescale);
  CHECK(c.rescale_factor == 0.00392156862745098);
  CHECK(c.do_normalize);
  CHECK(c.image_mean[1] == 0.4578275);
  CHECK(c.image_std[2] == 0.27577711);
  CHECK(c.do_convert_rgb);
}

TEST_CASE("the ViT-GPT2 fixture config: 48x48 bilinear, mean = std = 0.5") {
  const auto c = image::load_preprocess_config(kFixtures / "vitgpt2_tiny_b/preprocessor_config.json");
  CHECK(c.size.width == 48);
  CHECK(c.size.height == 48);
  CHECK(c.resample == image::Resample::bilinear);
  CHECK(c.image_mean == std::array<double, 3>{0.5, 0.5, 0.5});
  CHECK_FALSE(c.do_convert_rgb);
}

TEST_CASE("the real BLIP hub config: plain int size, missing keys take BlipImageProcessor defaults") {
  // {"do_normalize", "do_resize", "image_mean", "image_std", "size": 384, ...} only.
  const auto c = image::load_preprocess_config(kFixtures / "real_configs/blip-image-captioning-base/preprocessor_config.json");
  CHECK(c.size.width == 384);
  CHECK(c.size.height == 384);
  CHECK(c.resample == image::Resample::bicubic);
  CHECK(c.do_rescale);
  CHECK(c.rescale_factor == 1.0 / 255.0);
  CHECK(c.do_convert_rgb);
}

TEST_CASE("the real ViT-GPT2 hub config: feature-extractor era, size 224, bilinear") {
  const auto c = image::load_preprocess_config(kFixtures / "real_configs/vit-gpt2-image-captioning/preprocessor_config.json");
  CHECK(c.size.width == 224);
  CHECK(c.size.height == 224);
  CHECK(c.resample == image::Resample::bilinear);
  CHECK(c.do_rescale);
  CHECK(c.image_std == std::array<double, 3>{0.5, 0.5, 0.5});
}

TEST_CASE("an empty config is the ViT defaults; unknown keys are ignored") {
  const auto c = image::parse_preprocess_config(R"({"_valid_processor_keys": ["images"], "crop_pct": 0.9})", "x");
  CHECK(c.size.width == 224);
  CHECK(c.resample == image::Resample::bilinear);
  const auto blip = image::parse_preprocess_config(R"({"image_processor_type": "BlipImageProcessor"})", "x");
  CHECK(blip.size.width == 384);
  CHECK(blip.resample == image::Resample::bicubic);
}

TEST_CASE("size as {shortest_edge} keeps the aspect ratio, truncating the long side") {
  const auto c = image::parse_preprocess_config(R"({"size": {"shortest_edge": 32}})", "x");
  CHECK(c.size.shortest_edge == 32);
  const image::Image landscape{100, 45, std::vector<uint8_t>(100 * 45 * 3)};
  CHECK(image::preprocess_output_size(landscape, c) == std::pair{71, 32});  // int(32 * 100 / 45) = 71
  const image::Image portrait{45, 100, std::vector<uint8_t>(45 * 100 * 3)};
  CHECK(image::preprocess_output_size(portrait, c) == std::pair{32, 71});
  CHECK(image::preprocess(portrait, c).size() == 3u * 32 * 71);
}

TEST_CASE("do_resize false keeps the image size") {
  const auto c = image::parse_preprocess_config(R"({"do_resize": false})", "x");
  const image::Image image{5, 3, std::vector<uint8_t>(5 * 3 * 3, 7)};
  CHECK(image::preprocess_output_size(image, c) == std::pair{5, 3});
}

TEST_CASE("rescale in double then normalize in float32, channel planes in CHW order") {
  const auto c = image::parse_preprocess_config(
      R"({"do_resize": false, "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_std": [0.26862954, 0.26130258, 0.27577711]})", "x");
  const image::Image image{2, 1, {0, 128, 255, 17, 200, 3}};
  const std::vector<float> p = image::preprocess(image, c);
  REQUIRE(p.size() == 6);
  // numpy: (np.float32(v * (1/255)) - np.float32(mean)) / np.float32(std)
  const auto expected = [&](int v, int ch) {
    return (float(v * (1.0 / 255.0)) - float(c.image_mean[ch])) / float(c.image_std[ch]);
  };
  CHECK(p[0] == expected(0, 0));    // R of pixel 0
  CHECK(p[1] == expected(17, 0));   // R of pixel 1
  CHECK(p[2] == expected(128, 1));  // G plane
  CHECK(p[5] == expected(3, 2));    // B of pixel 1
  CHECK(p[0] == doctest::Approx(-1.79226).epsilon(1e-5));
}

TEST_CASE("do_rescale and do_normalize false give the raw byte values as floats") {
  const auto c = image::parse_preprocess_config(R"({"do_resize": false, "do_rescale": false, "do_normalize": false})", "x");
  const image::Image image{1, 1, {1, 2, 250}};
  CHECK(image::preprocess(image, c) == std::vector<float>{1, 2, 250});
}

TEST_CASE("wrong types and values name the file and the key") {
  CHECK(error_parsing(R"({"do_resize": "yes"})") ==
        "m/preprocessor_config.json: key \"do_resize\" must be true or false, got \"yes\"");
  CHECK(error_parsing(R"({"size": {"height": 0, "width": 4}})") ==
        "m/preprocessor_config.json: key \"size.height\" must be an integer in 1..1048576, got 0");
  CHECK(error_parsing(R"({"size": "big"})").find("key \"size\" must be an integer or an object") != std::string::npos);
  CHECK(error_parsing(R"({"size": {"width": 4}})").find("key \"size\" must have") != std::string::npos);
  CHECK(error_parsing(R"({"resample": 9})").find("key \"resample\" must be a Pillow filter") != std::string::npos);
  CHECK(error_parsing(R"({"resample": 2.5})").find("key \"resample\"") != std::string::npos);
  CHECK(error_parsing(R"({"image_mean": [0.5, 0.5]})").find("key \"image_mean\" must be a list of 3") != std::string::npos);
  CHECK(error_parsing(R"({"image_std": [0.5, 0, 0.5]})").find("key \"image_std\" must not contain 0") != std::string::npos);
  CHECK(error_parsing(R"({"rescale_factor": "1/255"})").find("key \"rescale_factor\" must be a number") != std::string::npos);
  CHECK(error_parsing("[1, 2]") == "m/preprocessor_config.json: expected a JSON object at the top level");
  CHECK(error_parsing("{oops").find("m/preprocessor_config.json: not valid JSON") == 0);
}

TEST_CASE("a missing config file is named in the error") {
  CHECK_THROWS_WITH_AS(image::load_preprocess_config("/nonexistent/preprocessor_config.json"),
                       "/nonexistent/preprocessor_config.json: cannot open preprocessor config", Error);
}
