// --draw-boxes: Florence-2 region answers drawn over the image. The drawing is checked on the
// post-processing golden's <OD> answer (Microsoft's processor on known ids), the flag end to end
// on the tiny golden checkpoint (its greedy <OD> answer: three boxes collapsed to one point).
#include <doctest/doctest.h>

#include "cli/cli_runner.h"
#include "cli/region_drawing.h"
#include "image/image.h"
#include "text/florence2_postprocess.h"

using namespace vkcap;
using namespace vkcap::test;
using nlohmann::json;

namespace {

image::Image grey(int w, int h) {
  image::Image image;
  image.width = w, image.height = h;
  image.rgb.assign(size_t(w) * h * 3, 128);
  return image;
}

std::array<uint8_t, 3> at(const image::Image& image, int x, int y) {
  const uint8_t* p = &image.rgb[(size_t(y) * image.width + x) * 3];
  return {p[0], p[1], p[2]};
}

std::vector<Region> regions_of(const text::Florence2Result& result) {
  std::vector<Region> out;
  for (const auto& r : result.regions) out.push_back({r.label, r.points, r.shape == text::Florence2Region::Shape::kQuad, r.polygons});
  return out;
}

}  // namespace

TEST_CASE("render_regions outlines the golden <OD> boxes in their colours over an unchanged image") {
  const json cases = json::parse(read_text(kFixtures / "text" / "cases" / "florence2_postprocess.json"))["cases"];
  const json* od = nullptr;
  for (const json& c : cases)
    if (c["task"] == "<OD>") od = &c;
  REQUIRE(od != nullptr);
  const int w = (*od)["image_size_wh"][0], h = (*od)["image_size_wh"][1];
  const std::vector<Region> regions =
      regions_of(text::florence2_post_process((*od)["text_with_special"].get<std::string>(), "<OD>", w, h));
  REQUIRE(regions.size() >= 3);
  REQUIRE(regions[0].label == "car");
  const image::Image drawn = cli::render_regions(grey(w, h), regions);
  REQUIRE(drawn.width == w);
  REQUIRE(drawn.height == h);
  // The car's box: its top, left and right edges (the wheel's box shares part of the bottom one).
  const int x1 = int(regions[0].points[0]), y1 = int(regions[0].points[1]);
  const int x2 = int(regions[0].points[2]), y2 = int(regions[0].points[3]);
  const auto car = cli::region_colour(0);
  for (int x = x1; x <= x2; ++x) CHECK(at(drawn, x, y1) == car);
  for (int y = y1; y <= y2 - 4; ++y) {
    CHECK(at(drawn, x1, y) == car);
    CHECK(at(drawn, x2, y) == car);
  }
  CHECK(at(drawn, (x1 + x2) / 2, (y1 + y2) / 2 - 30) == std::array<uint8_t, 3>{128, 128, 128});  // inside: untouched
  CHECK(cli::region_colour(1) != car);
  // The label's tag sits above the box, in the box's colour, with dark text in it.
  bool ink = false;
  for (int y = y1 - 11; y < y1; ++y)
    for (int x = x1; x < x1 + 20; ++x) ink = ink || at(drawn, x, y) == std::array<uint8_t, 3>{0, 0, 0};
  CHECK(ink);
}

TEST_CASE("--draw-boxes writes the region picture at the image's size, and is refused where it cannot apply") {
  TempDir dir;
  const fs::path model = kFixtures / "florence2_tiny_b", image = model / "img0_90x150.png";
  const RunResult r = run_vkcap({"caption", "-m", model.string(), "-f", "jsonl", "--task", "od", "--draw-boxes",
                                 (dir / "boxes.png").string(), "--preset", "hf", "--beams", "1", "--no-repeat-ngram",
                                 "0", "-n", "16", image.string()},
                                dir.path);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json record = json::parse(lines_of(r.out).at(0));
  REQUIRE(record["regions"].size() == 3);
  CHECK(record["regions"][2]["box"] == json::parse("[51.075, 85.125, 51.075, 85.125]"));
  const image::Image original = image::decode_image(image), drawn = image::decode_image(dir / "boxes.png");
  CHECK(drawn.width == original.width);
  CHECK(drawn.height == original.height);
  // The last region drawn covers the (degenerate) box's corner pixel in its colour.
  CHECK(at(drawn, 51, 85) == cli::region_colour(2));
  CHECK(at(original, 51, 85) != cli::region_colour(2));
  CHECK(at(drawn, 10, 140) == at(original, 10, 140));

  // A directory for several images, named like --attention-map's.
  const RunResult many = run_vkcap({"caption", "-q", "-m", model.string(), "--task", "od", "-n", "8", "--draw-boxes",
                                    (dir / "out").string(), image.string(), (model / "img1_33x47.png").string()},
                                   dir.path);
  CHECK(many.exit_code == 0);
  CHECK(fs::exists(dir / "out" / "img0_90x150.boxes.png"));
  CHECK(fs::exists(dir / "out" / "img1_33x47.boxes.png"));

  const auto refused = [&](std::vector<std::string> args, const std::string& message) {
    const RunResult bad = run_vkcap(args, dir.path);
    CHECK(bad.exit_code == 2);
    CHECK_MESSAGE(bad.err.find(message) != std::string::npos, bad.err);
  };
  refused({"caption", "-m", model.string(), "--draw-boxes", (dir / "x.png").string(), image.string()},
          "give a region task");
  refused({"caption", "-m", model.string(), "--task", "detailed-caption", "--draw-boxes", (dir / "x.png").string(),
           image.string()},
          "give a region task");
  const fs::path blip = kFixtures / "blip_tiny_a";
  refused({"caption", "-m", blip.string(), "--draw-boxes", (dir / "x.png").string(), (blip / "img0_80x56.png").string()},
          "draws Florence-2 regions");
  CHECK_FALSE(fs::exists(dir / "x.png"));
}
