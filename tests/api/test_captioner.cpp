// vkcap::Captioner on the four golden fixtures: the public API gives transformers' tokens.
#include <cmath>
#include <vector>

#include "api_test_util.h"
#include "image/image.h"
#include "vkcap/captioner.h"

using namespace vkcap;
using namespace vkcap::api_test;

namespace {

const char* kFixtures[] = {"blip_tiny_a", "blip_tiny_b", "vitgpt2_tiny_a", "vitgpt2_tiny_b"};

CaptionerOptions checked_options() { return checked_captioner_options(); }

GenerationOptions from_kwargs(const nlohmann::json& kwargs) {
  GenerationOptions o;
  if (kwargs.contains("max_new_tokens")) o.max_new_tokens = kwargs["max_new_tokens"].get<int>();
  if (kwargs.contains("min_new_tokens")) o.min_new_tokens = kwargs["min_new_tokens"].get<int>();
  if (kwargs.contains("num_beams")) o.num_beams = kwargs["num_beams"].get<int>();
  return o;
}

std::vector<int32_t> sequence(const nlohmann::json& record) { return record["sequence"].get<std::vector<int32_t>>(); }

}  // namespace

TEST_CASE("Captioner: greedy, forced-length, beam and prompted captions equal the golden sequences") {
  for (const char* name : kFixtures) {
    SUBCASE(name) {
      Captioner captioner(fixture(name).string(), checked_options());
      const nlohmann::json want = expected(name);
      const std::string model_class = want["model"].get<std::string>();
      CHECK(captioner.architecture().rfind(model_class.substr(0, model_class.find('(')), 0) == 0);
      for (const nlohmann::json& image : want["images"]) {
        const auto path = fixture(name) / image["file"].get<std::string>();
        INFO(name << " " << path.filename().string());
        for (const char* kind : {"greedy", "greedy_forced_length", "beam", "default_generate"}) {
          INFO(kind);
          const Caption c = captioner.caption(path, from_kwargs(image[kind]["kwargs"]));
          CHECK(c.tokens == sequence(image[kind]));
          CHECK(c.text == image[kind]["text"].get<std::string>());
          CHECK(c.words.size() == c.new_tokens.size());
          CHECK((c.finish_reason == "eos" || c.finish_reason == "length"));
          if (image[kind].contains("sequence_score"))
            CHECK(std::abs(c.score - image[kind]["sequence_score"].get<double>()) < 1e-3);
        }
        const nlohmann::json& cond = image["conditional"];
        for (const char* kind : {"greedy", "beam"}) {
          INFO("prompted " << kind);
          GenerationOptions o = from_kwargs(cond[kind]["kwargs"]);
          o.prompt = cond["prompt"].get<std::string>();
          const Caption c = captioner.caption(path, o);
          CHECK(c.tokens == sequence(cond[kind]));
          CHECK(c.text == cond[kind]["text"].get<std::string>());
        }
      }
    }
  }
}

TEST_CASE("Captioner: many images at once give what each gives alone, and in-memory RGB equals the file") {
  for (const char* name : {"blip_tiny_a", "vitgpt2_tiny_b"}) {
    SUBCASE(name) {
      Captioner captioner(fixture(name).string(), checked_options());
      const nlohmann::json want = expected(name);
      std::vector<std::filesystem::path> paths;
      for (const nlohmann::json& image : want["images"]) paths.push_back(fixture(name) / image["file"].get<std::string>());
      paths.push_back(paths.front());  // the same image twice in one batch
      for (int beams : {1, 3}) {
        GenerationOptions o;
        o.max_new_tokens = 12;
        o.num_beams = beams;
        const std::vector<Caption> all = captioner.caption(paths, o);
        REQUIRE(all.size() == paths.size());
        for (size_t i = 0; i + 1 < paths.size(); ++i)
          CHECK(all[i].tokens == sequence(want["images"][i][beams == 1 ? "greedy" : "beam"]));
        CHECK(all.back().tokens == all.front().tokens);
      }
      const image::Image decoded = image::decode_image(paths.front());
      RgbImage rgb{decoded.width, decoded.height, decoded.rgb};
      GenerationOptions o;
      o.max_new_tokens = 12;
      CHECK(captioner.caption(rgb, o).tokens == sequence(want["images"][0]["greedy"]));
    }
  }
}

TEST_CASE("Captioner: cross-attention maps, one per new token, rows summing to 1, the same in greedy and beam") {
  Captioner captioner(fixture("blip_tiny_a").string(), checked_options());
  const auto path = fixture("blip_tiny_a") / "img0_80x56.png";
  GenerationOptions o;
  o.max_new_tokens = 12;
  o.keep_cross_attention = true;
  const Caption greedy = captioner.caption(path, o);
  CHECK(greedy.tokens == sequence(expected("blip_tiny_a")["images"][0]["greedy"]));  // unchanged by keeping maps
  REQUIRE(greedy.cross_attention.has_value());
  const CrossAttentionMaps& maps = *greedy.cross_attention;
  CHECK(maps.steps == int(greedy.new_tokens.size()));
  CHECK(maps.image_tokens == captioner.image_tokens());
  CHECK(maps.image_tokens == 1 + maps.patch_grid * maps.patch_grid);
  CHECK(maps.weights.size() == size_t(maps.steps) * maps.layers * maps.heads * maps.image_tokens);
  for (int s = 0; s < maps.steps; ++s)
    for (int l = 0; l < maps.layers; ++l)
      for (int h = 0; h < maps.heads; ++h) {
        double sum = 0;
        for (int t = 0; t < maps.image_tokens; ++t) sum += maps.at(s, l, h, t);
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-4));
      }
  // Different words look at different places: not every step's map is the same.
  CHECK(maps.patch_map(0) != maps.patch_map(1));
  CHECK(maps.patch_map(0).size() == size_t(maps.patch_grid * maps.patch_grid));

  // Beam search: the first new token is chosen from the prompt alone, so its maps equal greedy's.
  o.num_beams = 3;
  const Caption beam = captioner.caption(path, o);
  CHECK(beam.tokens == sequence(expected("blip_tiny_a")["images"][0]["beam"]));
  REQUIRE(beam.cross_attention.has_value());
  CHECK(beam.cross_attention->steps == int(beam.new_tokens.size()));
  const size_t per_step = size_t(maps.layers) * maps.heads * maps.image_tokens;
  for (size_t i = 0; i < per_step; ++i)
    CHECK(beam.cross_attention->weights[i] == doctest::Approx(maps.weights[i]).epsilon(1e-5));

  // Batched with another image, the maps of img0 are the same as alone.
  o.num_beams = 1;
  const std::vector<std::filesystem::path> two = {fixture("blip_tiny_a") / "img1_20x20.png", path};
  const std::vector<Caption> both = captioner.caption(two, o);
  REQUIRE(both[1].cross_attention.has_value());
  CHECK(both[1].cross_attention->weights.size() == maps.weights.size());
  bool same = both[1].cross_attention->weights.size() == maps.weights.size();
  for (size_t i = 0; same && i < maps.weights.size(); ++i)
    same = std::abs(both[1].cross_attention->weights[i] - maps.weights[i]) < 1e-5f;
  CHECK(same);

  // Without the option there are none.
  o.keep_cross_attention = false;
  CHECK_FALSE(captioner.caption(path, o).cross_attention.has_value());
}
