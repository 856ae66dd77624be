// What `vkcap caption` refuses before anything loads (exit 2): a model it cannot run, an output
// it cannot write, a word left over from --sidecar, options that would do nothing. What it tells:
// -q keeps only results and errors, the first run with an empty kernel cache says it compiles,
// the summary counts what a directory walk skipped.
#include <doctest/doctest.h>

#include "cli/cli_runner.h"
#include "common/scoped_env.h"

using namespace vkcap::test;

namespace {

const fs::path kModel = kFixtures / "blip_tiny_a";
const std::string kImage = (kModel / "img0_80x56.png").string();

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a model or output that cannot work is a usage error, exit 2, before the model loads") {
  TempDir dir;
  ScopedEnv hub("HF_HUB_CACHE", (dir / "hub").string());  // an empty Hugging Face cache
  const fs::path incomplete = copy_model_without(kModel, dir / "incomplete", {"vocab.txt", "preprocessor_config.json"});
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-m", (dir / "missing").string()}, "no such model directory"},
      {{"-m", "someone/no-such-model"}, "neither a directory nor in the Hugging Face cache"},
      {{"-m", incomplete.string()}, "incomplete model directory (no tokenizer"},
      {{"-m", kModel.string(), "-o", (dir / "no" / "such" / "out.jsonl").string()},
       "the directory " + (dir / "no" / "such").string() + " does not exist"},
      {{"-m", kModel.string(), "-o", dir.path.string()}, dir.path.string()},
  };
  for (const auto& [options, message] : cases) {
    CAPTURE(message);
    std::vector<std::string> args = {"caption"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(kImage);
    const RunResult r = run_vkcap(args, dir.path);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, message));
    CHECK(!contains(r.err, "no GPU found"));  // the device was never opened
    CHECK(lines_of(r.err).size() == 1);
  }
  CHECK(contains(run_vkcap({"caption", "-m", incomplete.string(), kImage}, dir.path).err, "no preprocessor_config.json"));
}

TEST_CASE("--sidecar WORD: the word is no input file but an error with the --sidecar=WORD hint") {
  TempDir dir;
  const RunResult r = run_vkcap({"caption", "-m", kModel.string(), "--sidecar", "caption", kImage}, dir.path);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--sidecar=caption"));
  CHECK(r.out.empty());
}

TEST_CASE("options that would do nothing in the combination given are refused with exit 2") {
  TempDir dir;
  const std::vector<std::vector<std::string>> pointless = {
      {"--temperature", "0.7"}, {"--top-k", "5"},          {"--top-p", "0.9"},       {"--seed", "3"},
      {"--existing", "overwrite"}, {"--attention-layer", "last"}, {"--fsync"}, {"--resume-any"}};
  for (const auto& options : pointless) {
    CAPTURE(options[0]);
    std::vector<std::string> args = {"caption", "-m", kModel.string()};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(kImage);
    const RunResult r = run_vkcap(args, dir.path);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, options[0] + " only applies with"));
    CHECK(r.out.empty());
  }
  // With what they need, they run.
  const RunResult r = run_vkcap({"caption", "-m", kModel.string(), "-n", "4", "--sample", "--temperature", "0.7",
                                 "--seed", "3", kImage},
                                dir.path);
  CHECK(r.exit_code == 0);
}

TEST_CASE("-q keeps stderr for errors; an empty kernel cache is announced once") {
  TempDir dir;
  ScopedEnv cache("VKCAP_CACHE_DIR", (dir / "cache").string());
  RunResult r = run_vkcap({"caption", "-m", kModel.string(), "-n", "4", kImage}, dir.path);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.err, "compiling kernels for"));
  r = run_vkcap({"caption", "-m", kModel.string(), "-n", "4", kImage}, dir.path);
  CHECK(r.exit_code == 0);
  CHECK(!contains(r.err, "compiling kernels"));
  CHECK(contains(r.err, "1 image(s) captioned"));

  ScopedEnv fresh("VKCAP_CACHE_DIR", (dir / "cache2").string());
  r = run_vkcap({"caption", "-q", "-m", kModel.string(), "-n", "4", kImage}, dir.path);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(lines_of(r.out).size() == 1);
  r = run_vkcap({"caption", "-q", "-m", kModel.string(), "-n", "4", kImage, (dir / "gone.png").string()}, dir.path);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.err).size() == 1);  // the failed image, nothing else
  CHECK(contains(r.err, "gone.png"));
}

TEST_CASE("the summary counts what the walk skipped; a folder without images says what it skipped") {
  TempDir dir;
  fs::create_directories(dir / "photos" / "sub");
  fs::copy_file(kImage, dir / "photos" / "a.png");
  fs::copy_file(kImage, dir / "photos" / "b.png");
  for (const char* name : {"notes.json", "readme.md", "list.csv"}) write_text(dir / "photos" / name, "text\n");
  RunResult r = run_vkcap({"caption", "-m", kModel.string(), "-n", "4", (dir / "photos").string()}, dir.path);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "vkcap: 2 image(s) captioned, 0 failed, 3 skipped: not an image, 1 subdirectory not searched "
                        "(add -r); load"));

  fs::create_directories(dir / "docs");
  write_text(dir / "docs" / "a.txt.md", "text\n");
  r = run_vkcap({"caption", "-q", "-m", kModel.string(), (dir / "docs").string()}, dir.path);
  CHECK(r.exit_code == 2);
  CHECK(r.err == "vkcap: no images found (1 skipped: not an image)\n");
}
