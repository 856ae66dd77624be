// Recording cross-attention during generation (greedy, batches, beam search) on the tiny BLIP
// fixture, checked against the decoder's own read-back: for greedy by row order, for beam search
// by looking each winning prefix up among the rows the decoder was fed (an algorithm independent
// of the recorder's walk back through parents).
#include <doctest/doctest.h>

#include <filesystem>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string_view>
#include <numeric>
#include <optional>

#include "api/cross_attention_recorder.h"
#include "api/decoder_step_model.h"
#include "common/gpu/harness.h"
#include "vk/context.h"
#include "generate/generate.h"
#include "image/image.h"
#include "model/caption_model.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace vkcap;

namespace {

const fs::path kModel = fs::path(VKCAP_FIXTURES_DIR) / "blip_tiny_a";
const std::vector<fs::path> kImages = {kModel / "img0_80x56.png", kModel / "img1_20x20.png"};

// Each test has its own validated context and (tiny) model: a context kept until exit would be
// destroyed after the validation layer's own state when other contexts came and went before.
struct ValidatedGpu {
  std::atomic<int> messages{0};
  vk::Context ctx{[this] {
    vk::ContextOptions o;
    o.validation = true;
    o.pipeline_cache_dir = test::test_cache_dir();
    o.on_validation_message = [this](std::string_view m) {
      ++messages;
      std::fprintf(stderr, "validation: %.*s\n", int(m.size()), m.data());
    };
    return o;
  }()};
  ~ValidatedGpu() { CHECK(messages.load() == 0); }
};

void encode(model::CaptionModel& m, const std::vector<image::Image>& images) {
  std::vector<std::vector<float>> pixels;
  for (const image::Image& im : images) pixels.push_back(m.pixel_values(im));
  m.encode(pixels);
}

std::vector<image::Image> fixture_images() {
  std::vector<image::Image> out;
  for (const fs::path& p : kImages) out.push_back(image::decode_image(p));
  return out;
}

generate::GenerationConfig config_for(const model::CaptionModel& m, int beams, int max_new_tokens) {
  generate::GenerationConfig c;
  c.eos_token_id = {m.eos_token_id()};
  c.pad_token_id = m.pad_token_id();
  c.num_beams = beams;
  c.max_new_tokens = max_new_tokens;
  return c;
}

// What the decoder itself reports after every call, for every row: all layers × heads, read
// straight from TextDecoder::cross_attention (the independent side of the greedy check).
class Readback : public generate::StepModel {
 public:
  Readback(model::CaptionModel& m, generate::StepModel& inner) : m_(m), inner_(inner) {}
  int vocab_size() const override { return inner_.vocab_size(); }
  int max_positions() const override { return inner_.max_positions(); }
  void start(std::span<const int> images, std::span<const int32_t> prompt, std::vector<float>& logits) override {
    inner_.start(images, prompt, logits);
    rows_ = int(images.size());
    prefixes.emplace_back();
    for (int image : images) prefixes.back().push_back({image, {}});
    read();
  }
  void step(std::span<const int> parent, std::span<const int32_t> token, std::vector<float>& logits) override {
    inner_.step(parent, token, logits);
    rows_ = int(parent.size());
    std::vector<std::pair<int, std::vector<int32_t>>> now;
    for (size_t r = 0; r < parent.size(); ++r) {
      now.push_back(prefixes.back().at(size_t(parent[r])));
      now.back().second.push_back(token[r]);
    }
    prefixes.push_back(std::move(now));
    read();
  }
  // calls[c][layer] = [rows, heads, tokens]
  std::vector<std::vector<std::vector<float>>> calls;
  std::vector<int> rows_per_call;
  // prefixes[c][row] = (image, new tokens fed to that row so far)
  std::vector<std::vector<std::pair<int, std::vector<int32_t>>>> prefixes;

 private:
  void read() {
    std::vector<std::vector<float>> layers;
    for (int l = 0; l < m_.decoder().spec().layers; ++l) layers.push_back(m_.decoder().cross_attention(l));
    calls.push_back(std::move(layers));
    rows_per_call.push_back(rows_);
  }
  model::CaptionModel& m_;
  generate::StepModel& inner_;
  int rows_ = 0;
};

// Mean over heads (and over layers when layer < 0) of one row of a Readback call.
std::vector<float> reduce(const std::vector<std::vector<float>>& call, int row, int layer, int heads, int tokens) {
  std::vector<float> out(size_t(tokens), 0.0f);
  const int first = layer < 0 ? 0 : layer, last = layer < 0 ? int(call.size()) - 1 : layer;
  for (int l = first; l <= last; ++l)
    for (int h = 0; h < heads; ++h)
      for (int j = 0; j < tokens; ++j)
        out[size_t(j)] += call[size_t(l)][(size_t(row) * heads + h) * tokens + j] / float(heads * (last - first + 1));
  return out;
}

float total(const std::vector<float>& map) { return std::accumulate(map.begin(), map.end(), 0.0f); }

}  // namespace

TEST_CASE("greedy: one map per new token, equal to the decoder's own read-back of that step") {
  ValidatedGpu gpu;
  model::CaptionModel m(gpu.ctx, kModel);
  encode(m, fixture_images());
  const int heads = m.decoder().spec().heads, tokens = m.image_tokens();
  api::DecoderStepModel inner(m);
  Readback readback(m, inner);
  std::vector<generate::GeneratedSequence> out;
  std::vector<CrossAttentionMaps> maps;
  {
    api::CrossAttentionRecorder recorder(m, readback);
    out = generate::generate(recorder, m.decoder_prompt(""), 2, config_for(m, 1, 6));
    for (const generate::GeneratedSequence& s : out) maps.push_back(recorder.maps_for(s));
  }
  REQUIRE(out.size() == 2);
  for (int layer : {-1, 0, m.decoder().spec().layers - 1}) {
    CAPTURE(layer);
    const std::optional<int> chosen = layer < 0 ? std::nullopt : std::optional<int>(layer);
    for (size_t i = 0; i < out.size(); ++i) {
      REQUIRE(maps[i].steps == int(out[i].new_tokens.size()));
      CHECK(maps[i].patch_grid == m.patch_grid());
      for (int k = 0; k < maps[i].steps; ++k) {
        const std::vector<float> map = maps[i].token_map(k, chosen);
        CHECK(map.size() == size_t(tokens));
        CHECK(total(map) == doctest::Approx(1.0f).epsilon(1e-4));
        // Greedy keeps the rows of unfinished images in image order: at call k, image i's row
        // comes after those of the earlier images that had not finished before token k.
        int row = 0;
        for (size_t j = 0; j < i; ++j) row += out[j].new_tokens.size() > size_t(k) ? 1 : 0;
        REQUIRE(row < readback.rows_per_call[size_t(k)]);
        const std::vector<float> direct = reduce(readback.calls[size_t(k)], row, layer, heads, tokens);
        for (size_t j = 0; j < map.size(); ++j) CHECK(map[j] == doctest::Approx(direct[j]).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("beam search: the winning beam's maps are those of the row that was fed its prefix") {
  ValidatedGpu gpu;
  model::CaptionModel m(gpu.ctx, kModel);
  encode(m, fixture_images());
  const int layers = m.decoder().spec().layers, heads = m.decoder().spec().heads, tokens = m.image_tokens();
  api::DecoderStepModel inner(m);
  Readback readback(m, inner);
  api::CrossAttentionRecorder recorder(m, readback);
  const std::vector<generate::GeneratedSequence> out = generate::generate(recorder, m.decoder_prompt(""), 2, config_for(m, 3, 8));
  REQUIRE(out.size() == 2);
  for (const generate::GeneratedSequence& s : out) {
    const CrossAttentionMaps maps = recorder.maps_for(s);
    REQUIRE(maps.steps == int(s.new_tokens.size()));
    CHECK(maps.layers == layers);
    for (int k = 0; k < maps.steps; ++k) {
      const std::pair<int, std::vector<int32_t>> prefix{s.image, {s.new_tokens.begin(), s.new_tokens.begin() + k}};
      const auto& rows = readback.prefixes[size_t(k)];
      const auto row = std::find(rows.begin(), rows.end(), prefix);
      REQUIRE(row != rows.end());
      const std::vector<float> direct = reduce(readback.calls[size_t(k)], int(row - rows.begin()), -1, heads, tokens);
      const std::vector<float> map = maps.token_map(k);
      CHECK(total(map) == doctest::Approx(1.0f).epsilon(1e-4));
      for (size_t j = 0; j < map.size(); ++j) CHECK(map[j] == doctest::Approx(direct[j]).epsilon(1e-5));
    }
  }
}

TEST_CASE("a sequence the recorder never saw is refused") {
  ValidatedGpu gpu;
  model::CaptionModel m(gpu.ctx, kModel);
  encode(m, fixture_images());
  api::DecoderStepModel inner(m);
  api::CrossAttentionRecorder recorder(m, inner);
  std::vector<generate::GeneratedSequence> out = generate::generate(recorder, m.decoder_prompt(""), 1, config_for(m, 1, 4));
  REQUIRE(out.size() == 1);
  generate::GeneratedSequence other = out[0];
  other.new_tokens[0] = (other.new_tokens[0] + 1) % m.config().decoder_vocab_size();
  CHECK_THROWS_AS(recorder.maps_for(other), Error);
  other = out[0];
  other.image = 1;
  CHECK_THROWS_AS(recorder.maps_for(other), Error);
  other = out[0];
  other.new_tokens.resize(40, 7);
  CHECK_THROWS_AS(recorder.maps_for(other), Error);
}

TEST_CASE("recording does not change the caption, and a layer the maps lack is refused") {
  ValidatedGpu gpu;
  model::CaptionModel m(gpu.ctx, kModel);
  encode(m, fixture_images());
  api::DecoderStepModel inner(m);
  const std::vector<generate::GeneratedSequence> plain = generate::generate(inner, m.decoder_prompt(""), 2, config_for(m, 3, 5));
  std::vector<generate::GeneratedSequence> recorded;
  CrossAttentionMaps maps;
  {
    api::CrossAttentionRecorder recorder(m, inner);
    recorded = generate::generate(recorder, m.decoder_prompt(""), 2, config_for(m, 3, 5));
    maps = recorder.maps_for(recorded[0]);
  }
  REQUIRE(recorded.size() == plain.size());
  for (size_t i = 0; i < plain.size(); ++i) CHECK(recorded[i].tokens == plain[i].tokens);
  CHECK_THROWS_AS(maps.token_map(0, m.decoder().spec().layers), Error);
  CHECK_THROWS_AS(maps.token_map(maps.steps), Error);
}
