// The definition of done for the models: the four golden fixtures made by transformers 4.40.2
// (tiny random BLIP and ViT-GPT2 checkpoints) give the same pixels, encoder states and logits
// within the stated tolerances, and exactly the same token ids and text for every generation
// record (greedy, forced length, beam 3, default, prompted greedy and beam).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/decoder_step_model.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "generate/generate.h"
#include "model/caption_model.h"
#include "model/safetensors.h"

using namespace vkcap;
using namespace vkcap::model;
using nlohmann::json;

namespace {

const char* kFixtures[] = {"blip_tiny_a", "blip_tiny_b", "vitgpt2_tiny_a", "vitgpt2_tiny_b"};

std::filesystem::path fixture_dir(const std::string& name) { return std::filesystem::path(VKCAP_FIXTURES_DIR) / name; }

json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::vector<float> tensor(const SafetensorsFile& file, const std::string& name) {
  const TensorView* view = file.find(name);
  REQUIRE_MESSAGE(view != nullptr, "expected tensor " << name);
  return to_f32(*view);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  return worst;
}

generate::GenerationConfig config_for(const model::CaptionModel& m, const json& kwargs) {
  generate::GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  for (auto& [key, value] : kwargs.items()) generate::set_generation_option(config, key, value.dump());
  return config;
}

void check_generation(model::CaptionModel& m, const json& record, const std::vector<int32_t>& prompt,
                      const std::string& what) {
  api::DecoderStepModel step_model(m);
  generate::GenerationConfig config = config_for(m, record["kwargs"]);
  std::vector<generate::GeneratedSequence> out = generate::generate(step_model, prompt, 1, config);
  REQUIRE(out.size() == 1);
  std::vector<int32_t> expected = record["sequence"].get<std::vector<int32_t>>();
  CHECK_MESSAGE(out[0].tokens == expected, what << ": token ids differ");
  CHECK_MESSAGE(m.tokenizer().decode(out[0].tokens, true) == record["text"].get<std::string>(), what << ": text");
  if (record.contains("sequence_score"))
    CHECK_MESSAGE(std::abs(out[0].score - record["sequence_score"].get<double>()) < 1e-3, what << ": score");
}

void check_fixtures(vk::Context& ctx) {
  for (const char* name : kFixtures) {
    SUBCASE(name) {
      const auto dir = fixture_dir(name);
      model::CaptionModel m(ctx, dir);
      json expected = load_json(dir / "expected.json");
      SafetensorsFile tensors(dir / "expected_tensors.safetensors");
      for (size_t i = 0; i < expected["images"].size(); ++i) {
        const json& record = expected["images"][i];
        const std::string img = "img" + std::to_string(i) + ".";
        const std::string file_name = record.at("file").get<std::string>();
        INFO(name << " " << file_name);
        image::Image image = image::decode_image(dir / record["file"].get<std::string>());
        std::vector<float> pixels = m.pixel_values(image);
        CHECK(max_abs_diff(pixels, tensor(tensors, img + "pixel_values")) <= 1e-5);

        m.encode({pixels});
        CHECK(max_abs_diff(m.encoder_output(0, true), tensor(tensors, img + "encoder_last_hidden_state")) <= 1e-4);
        if (tensors.find(img + "enc_to_dec_proj_output"))
          CHECK(max_abs_diff(m.encoder_output(0), tensor(tensors, img + "enc_to_dec_proj_output")) <= 1e-4);

        std::vector<float> logits;
        const std::vector<int32_t> start = m.decoder_prompt("");
        m.decoder().start({0}, start, logits);
        std::vector<float> want = tensor(tensors, img + "first_step_logits");
        CHECK(max_abs_diff(logits, want) <= 1e-3);
        CHECK(std::max_element(logits.begin(), logits.end()) - logits.begin() == record.at("first_step").at("logits").at("argmax").get<int>());

        for (const char* kind : {"greedy", "greedy_forced_length", "beam", "default_generate"})
          check_generation(m, record[kind], start, std::string(name) + " " + kind);

        const json& cond = record["conditional"];
        const std::vector<int32_t> prompt = m.decoder_prompt(cond["prompt"].get<std::string>());
        CHECK(prompt == cond["decoder_input_ids"].get<std::vector<int32_t>>());
        m.decoder().start({0}, prompt, logits);
        CHECK(max_abs_diff(logits, tensor(tensors, img + "conditional_first_step_logits")) <= 1e-3);
        check_generation(m, cond["greedy"], prompt, std::string(name) + " prompted greedy");
        check_generation(m, cond["beam"], prompt, std::string(name) + " prompted beam");
      }
    }
  }
}

}  // namespace

TEST_CASE("golden fixtures: pixels, encoder, first-step logits and every generation match transformers") {
  check_fixtures(test::gpu());
}

namespace {

// A validated context with the given kernel family and host products on or off.
void check_fixtures_with(const std::string& kernels, bool host_products) {
  vk::ContextOptions options;
  options.validation = true;
  options.kernels = kernels;
  options.host_products = host_products;
  options.pipeline_cache_dir = test::test_cache_dir();
  options.on_validation_message = [](std::string_view m) {
    const std::string text = "validation: " + std::string(m);
    ADD_FAIL_CHECK_AT(__FILE__, __LINE__, text);
  };
  vk::Context ctx(options);
  REQUIRE(ctx.info().preferred_variant() ==
          (kernels == "gpu" ? vk::KernelVariant::Gpu : vk::KernelVariant::Cpu));
  check_fixtures(ctx);
}

}  // namespace

TEST_CASE("golden fixtures also match with the GPU-shaped kernels and no host products (what real GPUs run)") {
  check_fixtures_with("gpu", false);
}

TEST_CASE("golden fixtures also match on a CPU device with every product in shaders (host products off)") {
  if (!test::gpu().info().is_cpu() || !test::gpu().info().supports_cpu_variant()) return;
  check_fixtures_with("cpu", false);
}
