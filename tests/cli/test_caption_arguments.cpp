// Generation arguments are checked once, before any image: out-of-range numbers and lengths that
// cannot work are usage errors (exit 2); a preset longer than the model is cut with a notice.
#include <doctest/doctest.h>

#include <filesystem>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

const std::string kModel = (kFixtures / "blip_tiny_a").string();
const std::string kImage = (kFixtures / "blip_tiny_a" / "img0_80x56.png").string();

fs::path work_dir(const std::string& name) {
  const fs::path dir = fs::path(VKCAP_BINARY_DIR) / "test_caption_arguments" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("out-of-range numbers are refused by the parser with exit 2") {
  const fs::path dir = work_dir("range");
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"-n", "0"}, {"-n", "-1"}, {"--no-repeat-ngram", "-2"}, {"--top-p", "1.5"},
        {"--temperature", "0"}, {"--min-new-tokens", "-3"}}) {
    std::vector<std::string> args{"caption", "-m", kModel};
    args.insert(args.end(), bad.begin(), bad.end());
    args.push_back(kImage);
    const RunResult r = run_vkcap(args, dir);
    CAPTURE(bad[0]);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
  }
}

TEST_CASE("lengths that cannot work are one usage error, not one error per image") {
  const fs::path dir = work_dir("lengths");
  RunResult r = run_vkcap({"caption", "-m", kModel, "--min-new-tokens", "9", "-n", "4", kImage, kImage}, dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("min_new_tokens") != std::string::npos);
  CHECK(r.out.empty());
  r = run_vkcap({"caption", "-m", kModel, "-n", "100000", kImage}, dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("decoder positions") != std::string::npos);
}

TEST_CASE("a preset longer than the model's positions is cut to fit, with a notice") {
  const fs::path dir = work_dir("preset");
  // The bundled default model has 32 positions; quality asks for 40 new tokens.
  const std::string scene = (fs::path(VKCAP_SOURCE_DIR) / "examples" / "scenes" / "scene_4242_00000.png").string();
  const RunResult r = run_vkcap({"caption", "-p", "quality", "-f", "jsonl", scene}, dir);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("preset 'quality' asks for up to 40 new tokens") != std::string::npos);
  CHECK(r.out.find("\"caption\"") != std::string::npos);
}
