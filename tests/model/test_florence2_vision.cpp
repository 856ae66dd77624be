// Florence-2's vision side against the golden fixtures made by Microsoft's own modelling code
// (tiny random DaViT; fixture a pads windows in its last two stages, b does not): pixel values,
// the DaViT tower output and the projected image features, on both kernel variants. The
// fixtures keep summaries of each tensor (first 16 values, min, max, sum, sum of magnitudes);
// every one of them is compared.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/gpu/harness.h"
#include "image/image.h"
#include "image/preprocess.h"
#include "model/florence2_config.h"
#include "model/florence2_vision.h"
#include "model/golden_summary.h"
#include "model/weight_store.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::model;
using nlohmann::json;
using test::check_summary;
using test::fixture_dir;
using test::load_json;

namespace {

void check_fixture(vk::Context& ctx, const std::string& name) {
  const auto dir = fixture_dir(name);
  const json expected = load_json(dir / "expected.json");
  const json& tol = expected.at("tolerances");
  const image::PreprocessConfig pre = image::load_preprocess_config(dir / "preprocessor_config.json");
  const Florence2VisionConfig config = load_florence2_vision_config(dir);
  WeightStore store(dir);
  model::WeightLoader weights(
      ctx, [&](std::string_view n) { return store.find(n); }, store.source(), kernels::WeightType::F32);
  model::Florence2Vision vision(weights, config, pre.size.height, pre.size.width);
  // The tiny models are sized so that the block paths run too: the stage-0 patch matrix goes
  // through the scratch in 4 row blocks and the MLP hidden rows in 2.
  CHECK(vision.memory_plan().stages[0].conv_blocks == 4);
  CHECK(vision.memory_plan().stages[0].mlp_blocks == 2);
  for (const json& record : expected.at("images")) {
    const std::string what = name + " " + record.at("file").get<std::string>() + " " +
                             test::variant_name(ctx.info().preferred_variant());
    INFO(what);
    const std::vector<float> pixels = image::preprocess(image::decode_image(dir / record.at("file").get<std::string>()), pre);
    check_summary(pixels, record.at("pixel_values"), tol.at("pixel_values").at("max_abs").get<double>(), 1e-6,
                  what + " pixel_values");

    vk::Buffer pixel_buffer = ctx.upload_vector<float>(pixels);
    vk::Buffer features = ctx.create_buffer(uint64_t(vision.feature_rows()) * config.projection_dim * 4);
    vk::Recorder rec(ctx);
    vision.record(rec, pixel_buffer, features);
    rec.submit();

    const json& tower = record.at("vision_tower_output");
    const size_t tower_count = size_t(vision.grid_height()) * vision.grid_width() * config.out_dim();
    std::vector<float> tower_out(tower_count);
    const kernels::BufferRef out = vision.tower_output();
    ctx.download(*out.buffer, tower_out.data(), tower_count * 4, out.offset * 4);
    const double largest = std::max(std::abs(tower.at("max").get<double>()), std::abs(tower.at("min").get<double>()));
    const double tower_tol = tol.at("vision_tower_output").at("max_abs_relative_to_max_abs").get<double>() * largest;
    check_summary(tower_out, tower, tower_tol, 1e-4, what + " vision_tower_output");

    std::vector<float> got(size_t(vision.feature_rows()) * config.projection_dim);
    ctx.download(features, got.data(), got.size() * 4);
    check_summary(got, record.at("image_features"), tol.at("image_features").at("max_abs").get<double>(), 1e-4,
                  what + " image_features");
  }
}

}  // namespace

TEST_CASE("Florence-2 vision config: the fixtures' DaViT stages and projector") {
  const Florence2VisionConfig a = load_florence2_vision_config(fixture_dir("florence2_tiny_a"));
  REQUIRE(a.stages.size() == 4);
  CHECK(a.stages[0].dim == 16);
  CHECK(a.stages[3].dim == 64);
  CHECK(a.stages[2].depth == 2);
  CHECK(a.stages[2].heads == 6);
  CHECK(a.stages[3].groups == 8);
  CHECK(a.stages[0].patch_size == 7);
  CHECK(a.stages[0].patch_stride == 4);
  CHECK(a.stages[0].patch_padding == 3);
  CHECK_FALSE(a.stages[0].patch_prenorm);
  CHECK(a.stages[1].patch_prenorm);
  CHECK(a.window_size == 4);
  CHECK(a.projection_dim == 32);
  CHECK(a.pos_embed_max == 50);
  CHECK(a.temporal_embed_max == 100);
  CHECK(a.feature_sources ==
        std::vector<ImageFeatureSource>{ImageFeatureSource::SpatialAvgPool, ImageFeatureSource::TemporalAvgPool});
}

TEST_CASE("Florence-2 vision config: defaults are the large model's, bad values name the key") {
  const Florence2VisionConfig d = parse_florence2_vision_config(json::object(), "x/config.json");
  REQUIRE(d.stages.size() == 4);
  CHECK(d.stages[2].depth == 9);
  CHECK(d.stages[3].dim == 2048);
  CHECK(d.window_size == 12);
  const auto fails = [](const json& vc, const char* message) {
    CHECK_THROWS_WITH_AS(parse_florence2_vision_config(vc, "x/config.json"), doctest::Contains(message), Error);
  };
  fails({{"num_heads", {8, 16}}}, "x/config.json: vision_config.num_heads: expected a list of 4 integers");
  fails({{"dim_embed", {10, 20}}, {"depths", {1, 1}}, {"num_heads", {3, 4}}, {"num_groups", {2, 4}},
         {"patch_size", {7, 3}}, {"patch_stride", {4, 2}}, {"patch_padding", {3, 1}}, {"patch_prenorm", {false, true}}},
        "vision_config.num_heads[0]: dim_embed[0] 10 is not divisible by 3 heads");
  fails({{"patch_padding", {7, 1, 1, 1}}}, "vision_config.patch_padding[0]: 7 is not smaller than patch_size 7");
  fails({{"window_size", "12"}}, "vision_config.window_size: expected an integer");
  fails({{"image_pos_embed", {{"type", "sine"}}}}, "vision_config.image_pos_embed.type");
  fails({{"image_feature_source", {"mean"}}}, "vision_config.image_feature_source");
  fails({{"model_type", "vit"}}, "vision_config.model_type");
}

TEST_CASE("Florence-2 vision: pixels, DaViT tower and image features match Microsoft's code") {
  for (const char* name : {"florence2_tiny_a", "florence2_tiny_b"}) {
    SUBCASE(name) { check_fixture(test::gpu(), name); }
  }
}

namespace {

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
  REQUIRE(ctx.info().preferred_variant() == (kernels == "gpu" ? vk::KernelVariant::Gpu : vk::KernelVariant::Cpu));
  for (const char* name : {"florence2_tiny_a", "florence2_tiny_b"}) {
    SUBCASE(name) { check_fixture(ctx, name); }
  }
}

}  // namespace

TEST_CASE("Florence-2 vision also matches with the GPU-shaped kernels and no host products (what real GPUs run)") {
  check_fixtures_with("gpu", false);
}

TEST_CASE("Florence-2 vision also matches on a CPU device with every product in shaders (host products off)") {
  if (!test::gpu().info().is_cpu() || !test::gpu().info().supports_cpu_variant()) return;
  check_fixtures_with("cpu", false);
}

TEST_CASE("Florence-2 memory plan: the real models at 768x768 fit 128 MiB storage bindings (lavapipe)") {
  const uint64_t lavapipe = 128ull << 20;
  const Florence2VisionConfig large = parse_florence2_vision_config(json::object(), "large");  // the defaults
  const model::Florence2MemoryPlan plan = model::plan_florence2_vision(large, 768, 768, lavapipe);
  REQUIRE(plan.stages.size() == 4);
  CHECK(plan.stages[0].height == 192);
  CHECK(plan.stages[3].width == 24);
  CHECK(plan.largest_buffer_bytes() <= lavapipe);
  // Stage 0: 36864 tokens x 256 channels; its q/k/v (113 MB) is the largest buffer and the MLP's
  // 151 MB of hidden rows pass through it in two blocks.
  CHECK(plan.token_floats == 36864ull * 256);
  CHECK(plan.scratch_floats == 36864ull * 768);
  CHECK(plan.stages[0].mlp_blocks == 2);
  CHECK(plan.stages[1].conv_blocks == 1);  // 9216 rows x 2304 patch floats = 85 MB
  MESSAGE("Florence-2-large at 768: activations " << plan.activation_bytes() / 1e6 << " MB, largest buffer "
                                                  << plan.largest_buffer_bytes() / 1e6 << " MB");
  json base_json = {{"dim_embed", {128, 256, 512, 1024}}, {"num_heads", {4, 8, 16, 32}}, {"num_groups", {4, 8, 16, 32}}};
  const model::Florence2MemoryPlan base =
      model::plan_florence2_vision(parse_florence2_vision_config(base_json, "base"), 768, 768, lavapipe);
  CHECK(base.largest_buffer_bytes() <= lavapipe);
  CHECK(base.stages[0].mlp_blocks == 2);
  MESSAGE("Florence-2-base at 768: activations " << base.activation_bytes() / 1e6 << " MB");
  // A device with 32 MiB bindings cannot hold stage 0's q/k/v: a clear error, not a bad dispatch.
  CHECK_THROWS_WITH(model::plan_florence2_vision(large, 768, 768, 32ull << 20),
                    doctest::Contains("vision_tower stage 0: the channel attention's q/k/v (36864 tokens x 768 floats)"));
}

TEST_CASE("Florence-2 vision: a missing weight is an error naming the file and the weight") {
  const auto dir = fixture_dir("florence2_tiny_a");
  const Florence2VisionConfig config = load_florence2_vision_config(dir);
  WeightStore store(dir);
  model::WeightLoader weights(
      test::gpu(),
      [&](std::string_view n) {
        return n == "vision_tower.blocks.2.1.channel_block.ffn.fn.net.fc2.weight" ? std::nullopt : store.find(n);
      },
      store.source(), kernels::WeightType::F32);
  CHECK_THROWS_WITH(model::Florence2Vision(weights, config, 96, 96),
                    doctest::Contains("missing weight 'vision_tower.blocks.2.1.channel_block.ffn.fn.net.fc2.weight'"));
  // A 8x4000 image makes a 1x125 token grid: wider than the 50 learned column positions.
  model::WeightLoader all(test::gpu(), [&](std::string_view n) { return store.find(n); }, store.source(),
                          kernels::WeightType::F32);
  CHECK_THROWS_WITH(model::Florence2Vision(all, config, 8, 4000),
                    doctest::Contains("image_pos_embed: a 1x125 token grid exceeds its 50 positions per side"));
}
