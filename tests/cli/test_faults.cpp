// What vkcap caption does when the GPU fails under it: out of device memory (an artificial
// budget), a lost device and a failed submit (VKCAP_FAULT_INJECT), and several runs at once
// sharing one pipeline cache and one directory of sidecars. Finished captions are never lost.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <optional>

#include "cli/cli_runner.h"
#include "common/scoped_env.h"
#include "vk/context.h"

using namespace vkcap::test;

namespace {

const std::string kFixture = "blip_tiny_a";
const std::string kModel = (kFixtures / kFixture).string();

// `count` fixture images in `dir` as photo0.png ...; returns the expected caption per path.
std::map<std::string, std::string> make_images(const fs::path& dir, int count) {
  fs::create_directories(dir);
  const auto images = fixture_images(kFixture);
  std::map<std::string, std::string> expected;
  for (int i = 0; i < count; ++i) {
    const std::string& name = images[size_t(i) % images.size()];
    const fs::path p = dir / ("photo" + std::to_string(i) + ".png");
    fs::copy_file(kFixtures / kFixture / name, p);
    expected[p.string()] = greedy_text(kFixture, name);
  }
  return expected;
}

std::vector<std::string> caption_args(const fs::path& images, const fs::path& out) {
  return {"caption", "-m", kModel, "-n", "12", "-f", "jsonl", "-o", out.string(), images.string()};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("device lost mid-run: the image in flight and the rest fail, finished captions are kept, a rerun completes") {
  TempDir dir;
  const auto expected = make_images(dir / "images", 6);
  // The submission that fails is counted from the start of the run; find one that lands after
  // at least one caption is finished and before the last.
  RunResult r;
  fs::path out;
  size_t finished = 0, failed = 0;
  for (int at : {6, 12, 24, 48, 96}) {
    out = dir / ("out" + std::to_string(at) + ".jsonl");
    ScopedEnv fault("VKCAP_FAULT_INJECT", "device-lost@" + std::to_string(at));
    r = run_vkcap(caption_args(dir / "images", out), dir.path);
    finished = failed = 0;
    for (const auto& j : parse_jsonl(read_text(out))) (j.contains("error") ? failed : finished)++;
    if (finished > 0 && failed > 0) break;
  }
  MESSAGE("finished " << finished << ", failed " << failed);
  REQUIRE(finished > 0);
  REQUIRE(failed > 0);
  CHECK(r.exit_code == 1);
  CHECK(finished + failed == expected.size());

  // Finished records carry the right captions; the first failure names its image and the cause,
  // the ones after it say they were not run.
  const auto records = parse_jsonl(read_text(out));
  bool seen_failure = false;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string image = records[i]["image"];
    CAPTURE(image);
    if (!records[i].contains("error")) {
      CHECK_FALSE(seen_failure);  // everything before the loss finished
      CHECK(records[i]["caption"] == expected.at(image));
      continue;
    }
    const std::string error = records[i]["error"];
    CHECK(error.rfind(image + ": ", 0) == 0);
    CHECK(contains(error, seen_failure ? "not run (device lost)" : "VK_ERROR_DEVICE_LOST"));
    CHECK(contains(r.err, error));
    seen_failure = true;
  }
  CHECK(contains(r.err, std::to_string(finished) + " image(s) captioned, " + std::to_string(failed) + " failed"));

  // Rerun on a healthy device with the same -o: only the failed images are captioned.
  RunResult again = run_vkcap(caption_args(dir / "images", out), dir.path);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, std::to_string(finished) + " of 6 image(s) already captioned"));
  std::map<std::string, int> captioned;
  for (const auto& j : parse_jsonl(read_text(out)))
    if (!j.contains("error")) {
      ++captioned[j["image"]];
      CHECK(j["caption"] == expected.at(j["image"]));
    }
  CHECK(captioned.size() == expected.size());
  for (const auto& [image, n] : captioned) CHECK(n == 1);
}

TEST_CASE("a failed submit costs only the image in flight; the run goes on") {
  TempDir dir;
  const auto expected = make_images(dir / "images", 5);
  const fs::path out = dir / "out.jsonl";
  ScopedEnv fault("VKCAP_FAULT_INJECT", "submit-error@3");  // early: inside the first image
  RunResult r = run_vkcap(caption_args(dir / "images", out), dir.path);
  CHECK(r.exit_code == 1);
  const auto records = parse_jsonl(read_text(out));
  REQUIRE(records.size() == expected.size());
  int failed = 0;
  for (const auto& j : records) {
    const std::string image = j["image"];
    CAPTURE(image);
    if (j.contains("error")) {
      ++failed;
      CHECK(contains(j["error"], image + ": vkQueueSubmit failed: VK_ERROR_UNKNOWN"));
    } else {
      CHECK(j["caption"] == expected.at(image));
    }
  }
  CHECK(failed == 1);
}

TEST_CASE("VKCAP_FAULT_INJECT: a malformed value is refused with the accepted forms") {
  TempDir dir;
  make_images(dir / "images", 1);
  ScopedEnv fault("VKCAP_FAULT_INJECT", "device-lost@soon");
  RunResult r = run_vkcap(caption_args(dir / "images", dir / "out.jsonl"), dir.path);
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "expected device-lost@N, submit-error@N or validation-message@N"));
}

// Every CLI test relies on wait_vkcap failing it when a child reports a validation message;
// here a child is made to report one, to show that the watcher really sees it.
TEST_CASE("a validation message in a child process is seen by the runner that fails CLI tests") {
  TempDir dir;
  const auto expected = make_images(dir / "images", 1);
  ScopedEnv validate("VKCAP_VALIDATE", "1");
  ScopedEnv fault("VKCAP_FAULT_INJECT", "validation-message@2");
  const RunResult r = collect_vkcap(spawn_vkcap(caption_args(dir / "images", dir / "out.jsonl"), dir.path), dir.path);
  CHECK(r.exit_code == 0);  // a validation message is reported, not fatal
  const std::string message = child_validation_message(r.err);
  CHECK(contains(message, "injected by fault injection validation-message"));
  const auto records = parse_jsonl(read_text(dir / "out.jsonl"));
  REQUIRE(records.size() == 1);
  CHECK(records[0]["caption"] == expected.begin()->second);
}

TEST_CASE("out of device memory: the batch is halved and every image is still captioned") {
  TempDir dir;
  const int count = 16;
  const auto expected = make_images(dir / "images", count);
  auto args = caption_args(dir / "images", dir / "out.jsonl");
  args.insert(args.begin() + 1, {"--batch", "16"});

  // The budget that fits the model and one image but not sixteen depends on the device's
  // alignment rules: walk down from a budget that fits everything.
  RunResult r;
  uint64_t budget = 64ull << 20;
  bool halved = false;
  for (; budget >= (256ull << 10); budget = budget * 3 / 4) {
    fs::remove(dir / "out.jsonl");
    ScopedEnv limit("VKCAP_MAX_DEVICE_MEMORY", std::to_string(budget));
    r = run_vkcap(args, dir.path);
    if (r.exit_code != 0 || (halved = contains(r.err, "out of device memory with 16 images at once"))) break;
  }
  MESSAGE("budget " << budget << " bytes: exit " << r.exit_code << "\n" << r.err);
  REQUIRE(halved);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "continuing with batches of 8"));
  const auto records = parse_jsonl(read_text(dir / "out.jsonl"));
  CHECK(records.size() == size_t(count));
  for (const auto& j : records) {
    CAPTURE(j.dump());
    CHECK_FALSE(j.contains("error"));
    CHECK(j["caption"] == expected.at(j["image"]));
  }
}

TEST_CASE("a model that cannot fit at all says how much its weights need") {
  TempDir dir;
  make_images(dir / "images", 2);
  ScopedEnv limit("VKCAP_MAX_DEVICE_MEMORY", "64K");
  RunResult r = run_vkcap(caption_args(dir / "images", dir / "out.jsonl"), dir.path);
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, kModel + ": the model does not fit in device memory: its weights need about"));
  CHECK(contains(r.err, "MiB as fp32"));
  CHECK(contains(r.err, "budget"));
  CHECK(lines_of(r.err).size() <= 4);  // a message, not a stack of them
}

TEST_CASE("concurrent runs share one pipeline cache and one sidecar directory without corrupting either") {
  TempDir dir;
  const auto expected = make_images(dir / "images", 6);
  ScopedEnv cache("VKCAP_CACHE_DIR", (dir / "cache").string());
  std::vector<pid_t> runs;
  std::vector<fs::path> run_dirs;
  for (int i = 0; i < 4; ++i) {
    run_dirs.push_back(dir / ("run" + std::to_string(i)));
    fs::create_directories(run_dirs.back());
    runs.push_back(spawn_vkcap({"caption", "-m", kModel, "-n", "12", "--sidecar", "--existing", "overwrite",
                                (dir / "images").string()},
                               run_dirs.back()));
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    RunResult r = wait_vkcap(runs[i], run_dirs[i]);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
  }

  // Every sidecar holds exactly one whole caption, and no temporary file is left behind.
  for (const auto& [image, caption] : expected) {
    fs::path side = image;
    side.replace_extension(".txt");
    CAPTURE(side);
    CHECK(read_text(side) == caption + "\n");
  }
  for (const auto& e : fs::directory_iterator(dir / "images"))
    CHECK((e.path().extension() == ".png" || e.path().extension() == ".txt"));
  // The cache directory holds vkcap's pipeline cache file, and on lavapipe Mesa's own shader
  // cache in a directory per vector width (mesa-lp256, mesa-lp512; vk/cpu_vector_width.h).
  int caches = 0;
  for (const auto& e : fs::directory_iterator(dir / "cache")) {
    CAPTURE(e.path());
    if (e.is_directory()) {
      CHECK(e.path().filename().string().starts_with("mesa-lp"));
      continue;
    }
    CHECK(e.path().extension() == ".bin");
    ++caches;
  }
  CHECK(caches == 1);

  // The cache the four runs wrote is whole: the driver takes it back.
  vkcap::vk::ContextOptions options;
  options.validation = true;
  options.pipeline_cache_dir = dir / "cache";
  vkcap::vk::Context ctx(options);
  CHECK(ctx.pipeline_cache().loaded_from_disk());
}
