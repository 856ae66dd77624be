// Does the bundled model look at the object it names? For 100 synthetic scenes it never saw
// in training (tests/fixtures/scenes_localization: tools/scenes.py with seed 7331; training
// used seed 1, validation 998, evaluation 999, examples 4242), caption each scene greedily and,
// for every shape word (and, for the record, every colour word), take the patch with the
// largest cross-attention weight: a hit when that 8×8 patch overlaps the bounding box of the
// object the word describes (and, more leniently, of any object of that shape / colour). The
// test asserts >= 85 % for shape words on their own objects with the layer choice
// `--attention-layer` uses by default, and prints the rates for every layer choice.
// Skipped while assets/models/vkcap-shapes is absent.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "api/decoder_step_model.h"
#include "api/cross_attention_recorder.h"
#include "cli/token_attention.h"
#include "cli/attention_map.h"
#include "common/gpu/harness.h"
#include "generate/generate.h"
#include "image/image.h"
#include "model/caption_model.h"

namespace fs = std::filesystem;
using namespace vkcap;
using namespace vkcap::cli;

namespace {

// A token as the caption's words show it: decoded alone, spaces trimmed.
std::string label(const text::Tokenizer& tokenizer, int32_t token) {
  const int32_t ids[1] = {token};
  std::string text = tokenizer.decode(ids, false, false);
  const size_t first = text.find_first_not_of(' ');
  return first == std::string::npos ? std::string() : text.substr(first, text.find_last_not_of(' ') - first + 1);
}

const fs::path kModel = fs::path(VKCAP_SOURCE_DIR) / "assets" / "models" / "vkcap-shapes";
const fs::path kScenes = fs::path(VKCAP_FIXTURES_DIR) / "scenes_localization";

struct Scene {
  image::Image image;
  nlohmann::json meta;
};

std::vector<Scene> load_scenes() {
  std::vector<Scene> scenes;
  std::ifstream in(kScenes / "scenes.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    Scene s;
    s.meta = nlohmann::json::parse(line);
    s.image = image::decode_image(kScenes / s.meta["image"].get<std::string>());
    scenes.push_back(std::move(s));
  }
  return scenes;
}

// Two ways to count a word: a hit on ANY object with the word's value, or on its OWN object,
// the one the word describes by its place in the caption (relation scenes: before the relation
// words the first object, after them the second; other scenes: every object, which all share
// the value in a count scene). A word is left out of a way when no such object has its value.
struct Rate {
  int hits = 0, words = 0, absent = 0;  // absent: named nothing in the scene (left out)
  double value() const { return words ? double(hits) / words : 0.0; }
  void add(bool named, bool hit) { named ? (++words, hits += hit) : ++absent; }
};
struct Rates {
  Rate any, own;
};

// Does the peak patch overlap the box of one of `objects[candidates]` whose `attribute` is `value`?
void score(const std::vector<float>& patches, int grid, const image::Image& image, const nlohmann::json& objects,
           const std::vector<size_t>& candidates, const std::string& attribute, const std::string& value, Rate& rate) {
  const size_t peak = size_t(std::max_element(patches.begin(), patches.end()) - patches.begin());
  const double pw = double(image.width) / grid, ph = double(image.height) / grid;
  const double px0 = double(peak % size_t(grid)) * pw, py0 = double(peak / size_t(grid)) * ph;
  bool named = false, hit = false;
  for (size_t i : candidates) {
    const auto& o = objects[i];
    if (o[attribute] != value) continue;
    named = true;
    const auto& b = o["bbox"];  // [x0, y0, x1, y1) in pixels
    const bool overlap_x = px0 < b[2].get<double>() && px0 + pw > b[0].get<double>();
    const bool overlap_y = py0 < b[3].get<double>() && py0 + ph > b[1].get<double>();
    hit = hit || (overlap_x && overlap_y);
  }
  rate.add(named, hit);
}

}  // namespace

TEST_CASE("the default model's shape words look at their objects") {
  if (!fs::exists(kModel / "model.safetensors")) {
    MESSAGE("skipped: " << kModel.string() << " is not there yet");
    return;
  }
  const std::set<std::string> colours = {"red", "green", "blue", "yellow", "purple", "white"};
  const std::map<std::string, std::string> shapes = {
      {"circle", "circle"},     {"square", "square"},   {"triangle", "triangle"}, {"star", "star"},
      {"cross", "cross"},       {"ring", "ring"},       {"diamond", "diamond"},   {"circles", "circle"},
      {"squares", "square"},    {"triangles", "triangle"}, {"stars", "star"},     {"crosses", "cross"},
      {"rings", "ring"},        {"diamonds", "diamond"}};

  model::CaptionModel m(test::gpu(), kModel);
  const std::vector<Scene> scenes = load_scenes();
  REQUIRE(scenes.size() >= 100);
  const int layers = m.decoder().spec().layers;
  const int default_layer = parse_attention_layer("mean", layers);  // the CLI's default

  generate::GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  config.max_new_tokens = 20;

  std::map<int, std::pair<Rates, Rates>> rates;  // layer -> (shape words, colour words)
  std::vector<int> choices = {kMeanOverLayers};
  for (int l = 0; l < layers; ++l) choices.push_back(l);
  const size_t batch = 25;
  for (size_t first = 0; first < scenes.size(); first += batch) {
    const size_t n = std::min(batch, scenes.size() - first);
    std::vector<std::vector<float>> pixels;
    for (size_t i = 0; i < n; ++i) pixels.push_back(m.pixel_values(scenes[first + i].image));
    m.encode(pixels);
    api::DecoderStepModel inner(m);
    api::CrossAttentionRecorder recorder(m, inner);
    for (const generate::GeneratedSequence& s : generate::generate(recorder, m.decoder_prompt(""), int(n), config)) {
      const Scene& scene = scenes[first + size_t(s.image)];
      const nlohmann::json& objects = scene.meta["objects"];
      std::vector<size_t> all(objects.size());
      for (size_t i = 0; i < all.size(); ++i) all[i] = i;
      const bool relation = scene.meta["kind"] == "relation";
      const CrossAttentionMaps maps = recorder.maps_for(s);
      const int grid = maps.patch_grid;
      for (int layer : choices) {
        size_t part = 0;  // which object of a relation the caption is describing
        for (int k = 0; k < maps.steps; ++k) {
          const std::string word = label(m.tokenizer(), s.new_tokens[size_t(k)]);
          if (word == "left" || word == "above") part = 1;
          const std::vector<size_t> own = relation ? std::vector<size_t>{std::min(part, all.size() - 1)} : all;
          const std::vector<float> map =
              maps.token_map(k, layer == kMeanOverLayers ? std::nullopt : std::optional<int>(layer));
          const std::vector<float> patches(map.begin() + 1, map.end());
          if (auto it = shapes.find(word); it != shapes.end()) {
            score(patches, grid, scene.image, objects, all, "shape", it->second, rates[layer].first.any);
            score(patches, grid, scene.image, objects, own, "shape", it->second, rates[layer].first.own);
          } else if (colours.count(word)) {
            score(patches, grid, scene.image, objects, all, "colour", word, rates[layer].second.any);
            score(patches, grid, scene.image, objects, own, "colour", word, rates[layer].second.own);
          }
        }
      }
    }
  }
  for (int layer : choices) {
    for (const char* way : {"any", "own"}) {
      const Rate& shape = way[0] == 'a' ? rates[layer].first.any : rates[layer].first.own;
      const Rate& colour = way[0] == 'a' ? rates[layer].second.any : rates[layer].second.own;
      std::printf("attention localization, layer %s, %s object: shape words %d/%d = %.1f %% (%d left out), "
                  "colour words %d/%d = %.1f %% (%d left out)\n",
                  layer == kMeanOverLayers ? "mean" : std::to_string(layer).c_str(), way, shape.hits, shape.words, 100 * shape.value(),
                  shape.absent, colour.hits, colour.words, 100 * colour.value(), colour.absent);
    }
  }
  const Rate& shape = rates[default_layer].first.own;
  CHECK(shape.words >= 100);
  CHECK(shape.value() >= 0.85);
}

// The picture in README.md ("Cross-attention heat maps"), written to the build tree; the
// committed docs/attention-example.png is a copy of it.
TEST_CASE("the README example: an attention grid for an example scene") {
  if (!fs::exists(kModel / "model.safetensors")) {
    MESSAGE("skipped: " << kModel.string() << " is not there yet");
    return;
  }
  model::CaptionModel m(test::gpu(), kModel);
  const fs::path scene = fs::path(VKCAP_SOURCE_DIR) / "examples" / "scenes" / "scene_4242_00014.png";
  const image::Image image = image::decode_image(scene);
  m.encode({m.pixel_values(image)});
  generate::GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  api::DecoderStepModel inner(m);
  api::CrossAttentionRecorder recorder(m, inner);
  const std::vector<generate::GeneratedSequence> out = generate::generate(recorder, m.decoder_prompt(""), 1, config);
  REQUIRE(out.size() == 1);
  const CrossAttentionMaps maps = recorder.maps_for(out[0]);
  AttentionTiles tiles;
  for (int k = 0; k < maps.steps; ++k) {
    const int32_t token = out[0].new_tokens[size_t(k)];
    if (m.tokenizer().is_special(token)) continue;
    tiles.words.push_back(label(m.tokenizer(), token));
    tiles.grids.push_back(maps.patch_map(k));
  }
  const fs::path dir = fs::path(VKCAP_BINARY_DIR) / "test_attention_map" / "readme";
  fs::create_directories(dir);
  const fs::path png = attention_map_path(dir, scene);
  write_attention_grid(png, image, tiles.words, tiles.grids, maps.patch_grid, maps.patch_grid);
  MESSAGE("caption: " << m.tokenizer().decode(out[0].tokens, true) << "; grid: " << png.string());
  CHECK(image::decode_image(png).width > 0);
}
