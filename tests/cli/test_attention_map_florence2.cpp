// `vkcap caption --attention-map` / `--attention` on a Florence-2 directory (the tiny golden
// checkpoint): the maps cover the image grid, the pooled token's and the prompt's shares are in
// the JSON, and the PNG is the grid the JSON's maps draw over the image.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "cli/attention_map.h"
#include "cli/cli_runner.h"
#include "image/image.h"
#include "text/tokenizer.h"

using namespace vkcap::test;
using nlohmann::json;

namespace {

const fs::path kModel = kFixtures / "florence2_tiny_a";
const fs::path kImage = kModel / "img0_120x80.png";

}  // namespace

TEST_CASE("Florence-2 --attention-map writes the words' maps over the image grid, --attention their shares") {
  TempDir dir;
  const fs::path png = dir.path / "map.png";
  const RunResult r = run_vkcap({"caption", "-m", kModel.string(), "--attention-map", png.string(), "--attention", "-f",
                                 "jsonl", "--beams", "1", "--no-repeat-ngram", "0", "-n", "8", kImage.string()},
                                dir.path);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> lines = lines_of(r.out);
  REQUIRE(lines.size() == 1);
  const json attention = json::parse(lines[0]).at("attention");
  const int grid = attention.at("grid_rows");
  CHECK(grid == 3);  // the fixture's 96×96 input: DaViT's last stage is 3×3
  CHECK(attention.at("grid_cols") == grid);

  // Each token's pooled-token, grid and prompt shares sum to 1; the prompt's is never empty.
  const auto tokenizer = vkcap::text::load_tokenizer(kModel);
  std::vector<std::string> words;
  std::vector<std::vector<float>> grids;
  for (const json& t : attention.at("tokens")) {
    std::vector<float> patches;
    for (const json& row : t.at("patches"))
      for (const json& v : row) patches.push_back(v.get<float>());
    REQUIRE(patches.size() == size_t(grid * grid));
    double sum = t.at("cls").get<double>() + t.at("prompt").get<double>();
    for (float v : patches) sum += v;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-4));
    CHECK(t.at("prompt").get<double>() > 0.0);
    if (tokenizer->is_special(t.at("token").get<int32_t>())) continue;  // no tile, as in the tool
    words.push_back(t.at("text"));
    grids.push_back(patches);
  }
  REQUIRE_FALSE(words.empty());

  // The PNG: the image and one tile per word, as rendered from the JSON's (rounded) maps.
  REQUIRE(fs::exists(png));
  const vkcap::image::Image image = vkcap::image::decode_image(kImage);
  const vkcap::image::Image written = vkcap::image::decode_image(png);
  const vkcap::image::Image expected = vkcap::cli::render_attention_grid(image, words, grids, grid, grid);
  REQUIRE(written.width == expected.width);
  REQUIRE(written.height == expected.height);
  int worst = 0;
  for (size_t i = 0; i < written.rgb.size(); ++i)
    worst = std::max(worst, std::abs(int(written.rgb[i]) - int(expected.rgb[i])));
  CHECK(worst <= 2);  // the JSON rounds the weights to 6 decimals
}
