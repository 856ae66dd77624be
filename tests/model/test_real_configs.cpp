// The real hub configs (copied from the Hugging Face repositories; see assets/configs and
// tests/fixtures/real_configs) load into full-size models with random weights of the right
// shapes, report the right architecture and sizes, and run a decoder step on the GPU within
// the device's limits (lavapipe: 128 MiB per binding, 2 GiB per allocation).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "common/gpu/harness.h"
#include "model/caption_model.h"

using namespace vkcap;
using namespace vkcap::model;
namespace fs = std::filesystem;

namespace {

struct Expected {
  const char* name;
  Architecture arch;
  int image_tokens, vision_hidden, decoder_hidden, vocab;
  double parameters;  // transformers' count of the weights captioning uses
};

// BLIP-large ships only a transformers-5 resave of its config in the fixtures: give it the
// base model's tokenizer and image processor (identical on the hub) in a temporary directory.
fs::path model_dir(const std::string& name) {
  const fs::path assets = fs::path(VKCAP_SOURCE_DIR) / "assets" / "configs";
  if (fs::exists(assets / name / "config.json")) return assets / name;
  const fs::path dir = fs::temp_directory_path() / ("vkcap-real-config-" + name);
  fs::create_directories(dir);
  const fs::path fixtures = fs::path(VKCAP_FIXTURES_DIR) / "real_configs" / name;
  fs::copy_file(fixtures / "config.transformers-5.5.4-resave.json", dir / "config.json",
                fs::copy_options::overwrite_existing);
  for (const char* file : {"preprocessor_config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    fs::copy_file(assets / "blip-image-captioning-base" / file, dir / file, fs::copy_options::overwrite_existing);
  return dir;
}

}  // namespace

TEST_CASE("real hub configs load full-size models with random weights and run a decoder step") {
  const Expected cases[] = {
      {"blip-image-captioning-base", Architecture::Blip, 577, 768, 768, 30524, 247.4e6},
      {"vit-gpt2-image-captioning", Architecture::VitGpt2, 197, 768, 768, 50257, 238.6e6},
      {"blip-image-captioning-large", Architecture::Blip, 577, 1024, 768, 30524, 469.7e6},
  };
  for (const Expected& e : cases) {
    SUBCASE(e.name) {
      model::ModelOptions options;
      options.weights = kernels::WeightType::F16;
      options.random_weights_seed = 7;
      model::CaptionModel m(test::gpu(), model_dir(e.name), options);
      CHECK(m.config().arch == e.arch);
      CHECK(m.image_tokens() == e.image_tokens);
      CHECK(m.config().vision.hidden_size == e.vision_hidden);
      CHECK(m.config().decoder_hidden_size() == e.decoder_hidden);
      CHECK(m.config().decoder_vocab_size() == e.vocab);
      CHECK(std::abs(double(m.parameter_count()) - e.parameters) / e.parameters < 0.01);
      const int size = m.config().vision.image_size;
      m.encode({std::vector<float>(size_t(3) * size * size, 0.25f)});
      std::vector<float> logits;
      m.decoder().start({0}, m.decoder_prompt(""), logits);
      REQUIRE(logits.size() == size_t(e.vocab));
      for (float v : logits) REQUIRE(std::isfinite(v));
    }
  }
}
