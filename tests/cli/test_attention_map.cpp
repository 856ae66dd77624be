// Drawing attention maps: the grid's layout and pixels, labels, output paths, and the JSON.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "cli/attention_font.h"
#include "cli/attention_map.h"
#include "image/image.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace vkcap;
using namespace vkcap::cli;

namespace {

image::Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  image::Image im{w, h, {}};
  for (int i = 0; i < w * h; ++i) im.rgb.insert(im.rgb.end(), {r, g, b});
  return im;
}

const uint8_t* at(const image::Image& im, int x, int y) { return im.pixel(x, y); }
int brightness(const uint8_t* p) { return p[0] + p[1] + p[2]; }

fs::path scratch(const std::string& name) {
  fs::path dir = fs::path(VKCAP_BINARY_DIR) / "test_attention_map" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("the grid has the image, then one tile per word, six tiles per row") {
  const image::Image image = solid(64, 64, 128, 128, 128);
  const std::vector<float> flat(4, 0.25f);
  const image::Image one = render_attention_grid(image, {"a"}, {flat}, 2, 2);
  CHECK(one.width == 8 + 2 * (160 + 8));
  CHECK(one.height == 8 + 160 + 24 + 8);
  const std::vector<std::string> words(7, "w");
  const image::Image many = render_attention_grid(image, words, std::vector<std::vector<float>>(7, flat), 2, 2);
  CHECK(many.width == 8 + 6 * (160 + 8));
  CHECK(many.height == 8 + 2 * (160 + 24 + 8));
  CHECK(many.rgb.size() == size_t(many.width) * many.height * 3);
}

TEST_CASE("tiles keep the image's aspect ratio, the longer side 160 pixels") {
  const image::Image tall = render_attention_grid(solid(30, 60, 0, 0, 0), {"x"}, {{1.0f}}, 1, 1);
  CHECK(tall.width == 8 + 2 * (80 + 8));
  CHECK(tall.height == 8 + 160 + 24 + 8);
}

TEST_CASE("the first tile is the image itself, resampled") {
  const image::Image image = solid(40, 40, 200, 30, 60);
  const image::Image grid = render_attention_grid(image, {"w"}, {{1, 0, 0, 0}}, 2, 2);
  const uint8_t* p = at(grid, 8 + 80, 8 + 80);
  CHECK(int(p[0]) == 200);
  CHECK(int(p[1]) == 30);
  CHECK(int(p[2]) == 60);
}

TEST_CASE("a word's heat is brightest over the patch it attends to") {
  const image::Image image = solid(64, 64, 100, 100, 100);
  // 2x2 grid, all weight on the bottom-right patch.
  const image::Image grid = render_attention_grid(image, {"w"}, {{0, 0, 0, 1}}, 2, 2);
  const int x0 = 8 + 160 + 8, y0 = 8;
  const int hot = brightness(at(grid, x0 + 150, y0 + 150)), cold = brightness(at(grid, x0 + 10, y0 + 10));
  CHECK(hot > cold + 200);
  // The heat is upsampled bilinearly: between the patch centres it rises monotonically.
  int previous = -1;
  for (int x = 40; x <= 120; x += 20) {
    const int b = brightness(at(grid, x0 + x, y0 + 120));
    CHECK(b >= previous);
    previous = b;
  }
}

TEST_CASE("the heat scale is relative to each tile's strongest patch") {
  const image::Image image = solid(32, 32, 0, 0, 0);
  const image::Image a = render_attention_grid(image, {"w"}, {{0.1f, 0.3f}}, 1, 2);
  const image::Image b = render_attention_grid(image, {"w"}, {{0.2f, 0.6f}}, 1, 2);
  CHECK(a.rgb == b.rgb);
}

TEST_CASE("words are printed under their tiles") {
  const image::Image image = solid(32, 32, 0, 0, 0);
  const image::Image blank = render_attention_grid(image, {""}, {{1.0f}}, 1, 1);
  const image::Image word = render_attention_grid(image, {"circle"}, {{1.0f}}, 1, 1);
  const int x0 = 8 + 160 + 8, y0 = 8 + 160;
  int inked = 0;
  for (int y = y0; y < y0 + 24; ++y)
    for (int x = x0; x < x0 + 160; ++x)
      if (brightness(at(word, x, y)) > 600 && brightness(at(blank, x, y)) < 200) ++inked;
  CHECK(inked > 50);
  // "circle" at scale 2 is 6 glyphs of 6 columns minus the trailing one: 70 pixels wide.
  CHECK(text_width("circle", 2) == 70);
  CHECK(text_width("", 2) == 0);
  CHECK(text_width("é", 1) == 5);  // one code point, drawn as '?'
}

TEST_CASE("long words shrink, then are cut, but never leave their tile") {
  const image::Image image = solid(32, 32, 0, 0, 0);
  const std::string long_word(60, 'm');
  const image::Image grid = render_attention_grid(image, {long_word, "next"}, {{1.0f}, {1.0f}}, 1, 1);
  // Nothing is drawn in the gap between the word's tile and the next one.
  const int gap_x = 8 + 2 * 160 + 8 + 2;
  for (int y = 8 + 160; y < 8 + 160 + 24; ++y) CHECK(brightness(at(grid, gap_x, y)) < 200);
}

TEST_CASE("mismatched inputs are refused with one-line errors") {
  const image::Image image = solid(8, 8, 0, 0, 0);
  CHECK_THROWS_AS(render_attention_grid(image, {"a", "b"}, {{1.0f}}, 1, 1), Error);
  CHECK_THROWS_AS(render_attention_grid(image, {"a"}, {{1.0f, 2.0f}}, 1, 1), Error);
  CHECK_THROWS_AS(render_attention_grid(image::Image{}, {"a"}, {{1.0f}}, 1, 1), Error);
}

TEST_CASE("write_attention_grid writes a PNG that decodes to the rendered grid") {
  const fs::path dir = scratch("write");
  const image::Image image = solid(50, 20, 10, 200, 10);
  const std::vector<std::vector<float>> grids = {{1, 2, 3, 4}, {4, 3, 2, 1}};
  write_attention_grid(dir / "map.png", image, {"a", "b"}, grids, 2, 2);
  const image::Image back = image::decode_image(dir / "map.png");
  const image::Image expected = render_attention_grid(image, {"a", "b"}, grids, 2, 2);
  CHECK(back.width == expected.width);
  CHECK(back.height == expected.height);
  CHECK(back.rgb == expected.rgb);
  CHECK_THROWS_AS(write_attention_grid(dir / "missing" / "map.png", image, {"a", "b"}, grids, 2, 2), Error);
}

TEST_CASE("--attention-map OUT is a directory unless it names a .png file") {
  const fs::path dir = scratch("paths");
  CHECK(attention_map_is_directory(dir));
  CHECK(attention_map_is_directory("maps/"));
  CHECK(attention_map_is_directory("maps"));
  CHECK_FALSE(attention_map_is_directory("map.png"));
  CHECK_FALSE(attention_map_is_directory("out/map.PNG"));
  CHECK(attention_map_path(dir, "photos/cat.jpg") == dir / "cat.attention.png");
  CHECK(attention_map_path("maps", "a/b/scene.png") == fs::path("maps") / "scene.attention.png");
  CHECK(attention_map_path("map.png", "a/b/scene.png") == fs::path("map.png"));
}

TEST_CASE("attention_json carries each new token's class weight and patch grid") {
  const int32_t word = 10, sep = 5;
  std::vector<TokenAttention> maps = {{word, "dog", false, 0.4f, {0.1f, 0.2f, 0.05f, 0.05f, 0.1f, 0.1f}},
                                      {sep, "[SEP]", true, 0.25f, {0.125f, 0.125f, 0.125f, 0.125f, 0.125f, 0.125f}}};
  const nlohmann::json j = attention_json(maps, 2, 3, kMeanOverLayers);
  CHECK(j["layer"] == "mean");
  CHECK(j["grid_rows"] == 2);
  CHECK(j["grid_cols"] == 3);
  REQUIRE(j["tokens"].size() == 2);
  CHECK(j["tokens"][0]["token"] == word);
  CHECK(j["tokens"][0]["text"] == "dog");
  CHECK(j["tokens"][0]["cls"].get<double>() == doctest::Approx(0.4));
  CHECK(j["tokens"][0]["patches"].size() == 2);
  CHECK(j["tokens"][0]["patches"][1].size() == 3);
  CHECK(j["tokens"][0]["patches"][0][1].get<double>() == doctest::Approx(0.2));
  CHECK(j["tokens"][1]["text"] == "[SEP]");
  CHECK(attention_json(maps, 2, 3, 1)["layer"] == 1);
  CHECK_THROWS_AS(attention_json(maps, 3, 3, 0), Error);

  // The picture leaves the special tokens out.
  const AttentionTiles tiles = attention_tiles(maps);
  REQUIRE(tiles.words.size() == 1);
  CHECK(tiles.words[0] == "dog");
  CHECK(tiles.grids[0] == maps[0].patches);
}

TEST_CASE("token_attention splits Florence-2's keys into the pooled token, the grid and the prompt rows") {
  // Two heads over 1 pooled token + a 2×2 grid + 3 prompt rows.
  vkcap::CrossAttentionMaps maps;
  maps.steps = 1;
  maps.layers = 1;
  maps.heads = 2;
  maps.image_tokens = 5;
  maps.patch_grid = 2;
  maps.prompt_tokens = 3;
  maps.weights = {0.1f, 0.1f, 0.2f, 0.0f, 0.1f, 0.3f, 0.1f, 0.1f,    // head 0
                  0.3f, 0.0f, 0.0f, 0.2f, 0.1f, 0.1f, 0.2f, 0.1f};   // head 1
  vkcap::Caption caption;
  caption.new_tokens = {7};
  caption.labels = {"car"};
  caption.special = {false};
  caption.cross_attention = maps;
  std::vector<TokenAttention> out = token_attention(caption, kMeanOverLayers);
  REQUIRE(out.size() == 1);
  CHECK(out[0].cls == doctest::Approx(0.2f));
  REQUIRE(out[0].patches.size() == 4);
  CHECK(out[0].patches[0] == doctest::Approx(0.05f));
  CHECK(out[0].patches[1] == doctest::Approx(0.1f));
  CHECK(out[0].patches[2] == doctest::Approx(0.1f));
  CHECK(out[0].patches[3] == doctest::Approx(0.1f));
  REQUIRE(out[0].prompt.has_value());
  CHECK(*out[0].prompt == doctest::Approx(0.45f));
  CHECK(attention_json(out, 2, 2, kMeanOverLayers)["tokens"][0]["prompt"].get<double>() == doctest::Approx(0.45));

  // BLIP and ViT-GPT2 have no prompt rows: no "prompt" share.
  maps.prompt_tokens = 0;
  maps.weights = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.6f, 0.1f, 0.1f, 0.1f, 0.1f};
  caption.cross_attention = maps;
  out = token_attention(caption, 0);
  CHECK(out[0].cls == doctest::Approx(0.4f));
  CHECK(out[0].patches.size() == 4);
  CHECK_FALSE(out[0].prompt.has_value());
  CHECK_FALSE(attention_json(out, 2, 2, 0)["tokens"][0].contains("prompt"));
}

TEST_CASE("--attention-layer takes mean, last, an index, or an index from the end") {
  CHECK(parse_attention_layer("mean", 3) == kMeanOverLayers);
  CHECK(parse_attention_layer("last", 3) == 2);
  CHECK(parse_attention_layer("0", 3) == 0);
  CHECK(parse_attention_layer("-1", 3) == 2);
  CHECK(parse_attention_layer("-3", 3) == 0);
  CHECK_THROWS_AS(parse_attention_layer("3", 3), Error);
  CHECK_THROWS_AS(parse_attention_layer("-4", 3), Error);
  CHECK_THROWS_AS(parse_attention_layer("first", 3), Error);
  CHECK_THROWS_AS(parse_attention_layer("1x", 3), Error);
}

TEST_CASE("the built-in font draws every printable ASCII character, no two alike") {
  std::vector<std::vector<uint8_t>> seen;
  for (char c = 32; c < 127; ++c) {
    image::Image canvas = solid(kGlyphWidth, kGlyphHeight, 0, 0, 0);
    draw_text(canvas, 0, 0, std::string(1, c), 1, {255, 255, 255});
    for (const auto& other : seen) CHECK(other != canvas.rgb);
    seen.push_back(canvas.rgb);
  }
  // Drawing clips at the canvas edge instead of writing outside it.
  image::Image small = solid(3, 3, 0, 0, 0);
  draw_text(small, -2, -2, "WWW", 3, {255, 255, 255});
  CHECK(small.rgb.size() == 27);
}
