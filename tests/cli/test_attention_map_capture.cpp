// Capturing cross-attention during generation (greedy, batches, beam search) on the tiny BLIP
// fixture, checked against the decoder's own read-back and against the API's prefix-keyed
// recorder; and a small driver that does what `vkcap caption --attention-map` does.
#include <doctest/doctest.h>

#include <filesystem>
#include <numeric>

#include "api/cross_attention_recorder.h"
#include "api/step_adapter.h"
#include "cli/attention_capture.h"
#include "cli/attention_map.h"
#include "common/gpu/harness.h"
#include "generate/generate.h"
#include "image/image.h"
#include "model/caption_model.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace vkcap;
using namespace vkcap::cli;

namespace {

const fs::path kModel = fs::path(VKCAP_FIXTURES_DIR) / "blip_tiny_a";
const std::vector<fs::path> kImages = {kModel / "img0_80x56.png", kModel / "img1_20x20.png"};

model::CaptionModel& tiny_model() {
  static model::CaptionModel m(test::gpu(), kModel);
  return m;
}

void encode(model::CaptionModel& m, const std::vector<Image>& images) {
  std::vector<std::vector<float>> pixels;
  for (const Image& im : images) pixels.push_back(m.pixel_values(im));
  m.encode(pixels);
}

std::vector<Image> fixture_images() {
  std::vector<Image> out;
  for (const fs::path& p : kImages) out.push_back(decode_image(p));
  return out;
}

GenerationConfig config_for(const model::CaptionModel& m, int beams, int max_new_tokens) {
  GenerationConfig c;
  c.eos_token_id = {m.eos_token_id()};
  c.pad_token_id = m.pad_token_id();
  c.num_beams = beams;
  c.max_new_tokens = max_new_tokens;
  return c;
}

// What the decoder itself reports after every call, for every row: all layers × heads, read
// straight from TextDecoder::cross_attention (the independent side of the greedy check).
class Readback : public StepModel {
 public:
  Readback(model::CaptionModel& m, StepModel& inner) : m_(m), inner_(inner) {}
  int vocab_size() const override { return inner_.vocab_size(); }
  int max_positions() const override { return inner_.max_positions(); }
  void start(std::span<const int> images, std::span<const int32_t> prompt, std::vector<float>& logits) override {
    inner_.start(images, prompt, logits);
    rows_ = int(images.size());
    read();
  }
  void step(std::span<const int> parent, std::span<const int32_t> token, std::vector<float>& logits) override {
    inner_.step(parent, token, logits);
    rows_ = int(parent.size());
    read();
  }
  // calls[c][layer] = [rows, heads, tokens]
  std::vector<std::vector<std::vector<float>>> calls;
  std::vector<int> rows_per_call;

 private:
  void read() {
    std::vector<std::vector<float>> layers;
    for (int l = 0; l < m_.decoder().spec().layers; ++l) layers.push_back(m_.decoder().cross_attention(l));
    calls.push_back(std::move(layers));
    rows_per_call.push_back(rows_);
  }
  model::CaptionModel& m_;
  StepModel& inner_;
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

float total(const TokenAttention& t) { return t.cls + std::accumulate(t.patches.begin(), t.patches.end(), 0.0f); }

}  // namespace

TEST_CASE("greedy: one map per new token, equal to the decoder's own read-back of that step") {
  model::CaptionModel& m = tiny_model();
  encode(m, fixture_images());
  const int heads = m.decoder().spec().heads, tokens = m.image_tokens();
  for (int layer : {kMeanOverLayers, 0, m.decoder().spec().layers - 1}) {
    CAPTURE(layer);
    api::DecoderStepModel inner(m);
    Readback readback(m, inner);
    std::vector<GeneratedSequence> out;
    std::vector<std::vector<TokenAttention>> maps;
    {
      AttentionCapture capture(m, readback, layer);
      CHECK(capture.grid_rows() == m.patch_grid());
      out = generate(capture, m.decoder_prompt(""), 2, config_for(m, 1, 6));
      for (const GeneratedSequence& s : out) maps.push_back(capture.maps_for(s));
    }
    REQUIRE(out.size() == 2);
    for (size_t i = 0; i < out.size(); ++i) {
      REQUIRE(maps[i].size() == out[i].new_tokens.size());
      for (size_t k = 0; k < maps[i].size(); ++k) {
        const TokenAttention& t = maps[i][k];
        CHECK(t.token == out[i].new_tokens[k]);
        CHECK(t.patches.size() == size_t(m.patch_grid() * m.patch_grid()));
        CHECK(total(t) == doctest::Approx(1.0f).epsilon(1e-4));
        // Greedy keeps the rows of unfinished images in image order: at call k, image i's row
        // comes after those of the earlier images that had not finished before token k.
        int row = 0;
        for (size_t j = 0; j < i; ++j) row += out[j].new_tokens.size() > k ? 1 : 0;
        REQUIRE(row < readback.rows_per_call[k]);
        const std::vector<float> direct = reduce(readback.calls[k], row, layer, heads, tokens);
        CHECK(t.cls == doctest::Approx(direct[0]).epsilon(1e-6));
        for (size_t j = 0; j < t.patches.size(); ++j) CHECK(t.patches[j] == doctest::Approx(direct[j + 1]).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("beam search: the winning beam's maps, the same as the API's prefix-keyed recorder finds") {
  model::CaptionModel& m = tiny_model();
  encode(m, fixture_images());
  const int layers = m.decoder().spec().layers, heads = m.decoder().spec().heads, tokens = m.image_tokens();
  api::DecoderStepModel inner(m);
  api::CrossAttentionRecorder recorder(m, inner);
  AttentionCapture capture(m, recorder);
  const std::vector<GeneratedSequence> out = generate(capture, m.decoder_prompt(""), 2, config_for(m, 3, 8));
  REQUIRE(out.size() == 2);
  for (const GeneratedSequence& s : out) {
    const std::vector<TokenAttention> maps = capture.maps_for(s);
    const CrossAttentionMaps reference = recorder.maps_for(s);  // [steps, layers, heads, tokens]
    REQUIRE(maps.size() == s.new_tokens.size());
    REQUIRE(reference.steps == int(maps.size()));
    for (size_t k = 0; k < maps.size(); ++k) {
      CHECK(maps[k].token == s.new_tokens[k]);
      CHECK(total(maps[k]) == doctest::Approx(1.0f).epsilon(1e-4));
      std::vector<float> expected(size_t(tokens), 0.0f);
      for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
          for (int j = 0; j < tokens; ++j)
            expected[size_t(j)] +=
                reference.weights[((k * layers + size_t(l)) * heads + size_t(h)) * tokens + size_t(j)] / float(layers * heads);
      CHECK(maps[k].cls == doctest::Approx(expected[0]).epsilon(1e-6));
      for (size_t j = 0; j < maps[k].patches.size(); ++j)
        CHECK(maps[k].patches[j] == doctest::Approx(expected[j + 1]).epsilon(1e-6));
    }
  }
}

TEST_CASE("a sequence the capture never saw is refused") {
  model::CaptionModel& m = tiny_model();
  encode(m, fixture_images());
  api::DecoderStepModel inner(m);
  AttentionCapture capture(m, inner);
  std::vector<GeneratedSequence> out = generate(capture, m.decoder_prompt(""), 1, config_for(m, 1, 4));
  REQUIRE(out.size() == 1);
  GeneratedSequence other = out[0];
  other.new_tokens[0] = (other.new_tokens[0] + 1) % m.config().decoder_vocab_size();
  CHECK_THROWS_AS(capture.maps_for(other), Error);
  other = out[0];
  other.image = 1;
  CHECK_THROWS_AS(capture.maps_for(other), Error);
  other = out[0];
  other.new_tokens.resize(40, 7);
  CHECK_THROWS_AS(capture.maps_for(other), Error);
}

TEST_CASE("capturing does not change the caption, and a layer the decoder lacks is refused") {
  model::CaptionModel& m = tiny_model();
  encode(m, fixture_images());
  api::DecoderStepModel inner(m);
  const std::vector<GeneratedSequence> plain = generate(inner, m.decoder_prompt(""), 2, config_for(m, 3, 5));
  std::vector<GeneratedSequence> captured;
  {
    AttentionCapture capture(m, inner);
    captured = generate(capture, m.decoder_prompt(""), 2, config_for(m, 3, 5));
  }
  REQUIRE(captured.size() == plain.size());
  for (size_t i = 0; i < plain.size(); ++i) CHECK(captured[i].tokens == plain[i].tokens);
  CHECK_THROWS_AS(AttentionCapture(m, inner, m.decoder().spec().layers), Error);
}

// What `vkcap caption --attention-map DIR` does for each image (the CLI wiring, minus options).
TEST_CASE("driver: caption two images and write one attention grid per image into a directory") {
  model::CaptionModel& m = tiny_model();
  const std::vector<Image> images = fixture_images();
  encode(m, images);
  const fs::path dir = fs::path(VKCAP_BINARY_DIR) / "test_attention_map" / "driver";
  fs::remove_all(dir);
  fs::create_directories(dir);
  REQUIRE(attention_map_is_directory(dir));

  for (int beams : {1, 3}) {
    CAPTURE(beams);
    api::DecoderStepModel inner(m);
    AttentionCapture capture(m, inner, parse_attention_layer("last", m.decoder().spec().layers));
    const std::vector<GeneratedSequence> out = generate(capture, m.decoder_prompt(""), 2, config_for(m, beams, 6));
    for (const GeneratedSequence& s : out) {
      const std::vector<TokenAttention> maps = capture.maps_for(s);
      const AttentionTiles tiles = attention_tiles(m.tokenizer(), maps);
      const fs::path target = attention_map_path(dir, kImages[size_t(s.image)]);
      write_attention_grid(target, images[size_t(s.image)], tiles.words, tiles.grids, capture.grid_rows(),
                           capture.grid_cols());
      const Image png = decode_image(target);
      const Image& source = images[size_t(s.image)];
      const int tile_w = source.width >= source.height ? 160 : int(std::lround(160.0 * source.width / source.height));
      const int tile_h = source.width >= source.height ? int(std::lround(160.0 * source.height / source.width)) : 160;
      const int n = int(tiles.words.size()) + 1, columns = std::min(n, 6), rows = (n + columns - 1) / columns;
      CHECK(png.width == 8 + columns * (tile_w + 8));
      CHECK(png.height == 8 + rows * (tile_h + 24 + 8));

      const nlohmann::json j = attention_json(m.tokenizer(), maps, capture.grid_rows(), capture.grid_cols(),
                                              capture.layer());
      CHECK(j["tokens"].size() == s.new_tokens.size());
      CHECK(j["layer"] == m.decoder().spec().layers - 1);
    }
  }
  CHECK(fs::exists(dir / "img0_80x56.attention.png"));
  CHECK(fs::exists(dir / "img1_20x20.attention.png"));
}
