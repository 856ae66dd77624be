// `vkcap caption --device 0,0 | all | LIST`: one worker per device entry, one shared queue, one
// output. On lavapipe two workers share the one device ("0,0"), which runs the same code paths as
// two GPUs: same captions as one worker, every image once, a lost worker costs only its batch.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "cli/env_options.h"
#include "cli_runner.h"
#include "common/scoped_env.h"

using namespace vkcap::test;

namespace {

const fs::path kFormats = kFixtures / "image" / "formats";

// 40 copies of one image, and a few other images so that captions differ per image.
void make_images(const fs::path& dir) {
  fs::create_directories(dir);
  for (int i = 0; i < 40; ++i) fs::copy_file(kFormats / "rgb8.png", dir / ("img" + std::to_string(1000 + i) + ".png"));
  for (const char* other : {"baseline.jpg", "exif6.png", "gray1.png", "photo.png"}) fs::copy_file(kFormats / other, dir / other);
}

std::vector<std::string> caption_args(const std::string& devices, const fs::path& images, const fs::path& out) {
  return {"caption", "--device", devices, "-b", "2", "-o", out.string(), images.string()};
}

// image → caption, requiring every record to be a caption and no image to come twice.
std::map<std::string, std::string> captions_in(const fs::path& file) {
  std::map<std::string, std::string> out;
  for (const auto& r : parse_jsonl(read_text(file))) {
    REQUIRE_MESSAGE(r.contains("caption"), r.dump());
    CHECK_MESSAGE(out.emplace(r["image"].get<std::string>(), r["caption"].get<std::string>()).second, "twice: " << r["image"]);
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("--device 0,0: two workers give one worker's captions, every image exactly once") {
  TempDir dir;
  make_images(dir / "imgs");
  const RunResult one = run_vkcap(caption_args("0", dir / "imgs", dir / "one.jsonl"), dir.path);
  REQUIRE_MESSAGE(one.exit_code == 0, one.err);
  CHECK_FALSE(contains(one.err, "workers"));  // one device: today's path, no pool
  const RunResult two = run_vkcap(caption_args("0,0", dir / "imgs", dir / "two.jsonl"), dir.path);
  REQUIRE_MESSAGE(two.exit_code == 0, two.err);
  CHECK(contains(two.err, "2 workers on devices 0,0"));
  CHECK(contains(two.err, "44 image(s) captioned, 0 failed"));
  const auto single = captions_in(dir / "one.jsonl");
  CHECK(single.size() == 44);
  CHECK(captions_in(dir / "two.jsonl") == single);
  std::set<std::string> distinct;
  for (const auto& [image, caption] : single) distinct.insert(caption);
  CHECK(distinct.size() >= 3);  // the comparison is per image, not one caption for all
}

TEST_CASE("a device lost in worker 1: its batch has error records, worker 0 finishes the rest, a rerun completes") {
  TempDir dir;
  make_images(dir / "imgs");
  const fs::path out = dir / "out.jsonl";
  const RunResult reference = run_vkcap(caption_args("0", dir / "imgs", dir / "reference.jsonl"), dir.path);
  REQUIRE(reference.exit_code == 0);
  const auto expected = captions_in(dir / "reference.jsonl");

  // Worker 1's device is lost in its second or third batch. Submissions count per worker, and how
  // many one batch takes changes with the engine (host steps add some), so it is measured: the
  // first of 8, 16, 32, ... at which one worker's run still finishes its first batch is between
  // one and two batches' worth; half as much again lands after worker 1's first batch. Not much
  // later: how the 22 batches split between the workers depends on the machine's load, and a busy
  // machine can leave worker 1 with only a few.
  int first_batch_done = 0;
  for (int n = 8; n <= 4096 && !first_batch_done; n *= 2) {
    ScopedEnv fault("VKCAP_FAULT_INJECT", "device-lost@" + std::to_string(n));
    const fs::path probe = dir / ("probe" + std::to_string(n) + ".jsonl");
    run_vkcap(caption_args("0", dir / "imgs", probe), dir.path);
    size_t captioned = 0;
    for (const auto& j : parse_jsonl(read_text(probe))) captioned += j.contains("caption") ? 1 : 0;
    if (captioned >= 2) first_batch_done = n;
  }
  REQUIRE(first_batch_done > 0);
  const int lost_at = first_batch_done + first_batch_done / 2;
  CAPTURE(lost_at);
  RunResult r;
  {
    ScopedEnv fault("VKCAP_FAULT_INJECT", "1:device-lost@" + std::to_string(lost_at));
    r = run_vkcap(caption_args("0,0", dir / "imgs", out), dir.path);
  }
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "worker 1: device 0"));
  CHECK(contains(r.err, "lost; this worker stops"));
  std::map<std::string, int> seen;
  size_t failed = 0, first_failure = 0, line = 0;
  for (const auto& j : parse_jsonl(read_text(out))) {
    const std::string image = j["image"];
    CAPTURE(image);
    ++seen[image];
    ++line;
    if (j.contains("error")) {
      if (!failed++) first_failure = line;
      CHECK(contains(j["error"], "VK_ERROR_DEVICE_LOST"));  // in flight when the device went
    } else {
      CHECK(j["caption"] == expected.at(image));  // finished captions are kept, and right
    }
  }
  CHECK(seen.size() == expected.size());
  for (const auto& [image, n] : seen) CHECK(n == 1);
  CHECK(failed == 2);             // worker 1's batch in flight, nothing more: worker 0 did the rest
  CHECK(first_failure > 2);       // worker 1 had finished batches before its device went
  CHECK(contains(r.err, std::to_string(expected.size() - 2) + " image(s) captioned, 2 failed"));

  const RunResult again = run_vkcap(caption_args("0,0", dir / "imgs", out), dir.path);
  CHECK_MESSAGE(again.exit_code == 0, again.err);
  CHECK(contains(again.err, std::to_string(expected.size() - 2) + " of 44 image(s) already captioned"));
  std::map<std::string, std::string> captioned;
  for (const auto& j : parse_jsonl(read_text(out)))
    if (!j.contains("error")) CHECK(captioned.emplace(j["image"], j["caption"]).second);
  CHECK(captioned == expected);
}

TEST_CASE("every device lost: every image still has a record, as with one device") {
  TempDir dir;
  make_images(dir / "imgs");
  const fs::path out = dir / "out.jsonl";
  ScopedEnv fault("VKCAP_FAULT_INJECT", "device-lost@160");  // both workers, each at its own 160th
  const RunResult r = run_vkcap(caption_args("0,0", dir / "imgs", out), dir.path);
  CHECK(r.exit_code == 1);
  std::map<std::string, int> seen;
  size_t captioned = 0, not_run = 0;
  for (const auto& j : parse_jsonl(read_text(out))) {
    ++seen[j["image"]];
    if (!j.contains("error")) ++captioned;
    else if (contains(j["error"], "not run (device lost)")) ++not_run;
  }
  CHECK(seen.size() == 44);
  for (const auto& [image, n] : seen) CHECK(n == 1);
  CHECK(captioned > 0);  // each worker finished batches before its device went
  CHECK(not_run > 0);    // what neither worker took is reported, not dropped
}

TEST_CASE("--device with a device that is not there is a usage error before loading; all works") {
  TempDir dir;
  make_images(dir / "imgs");
  const RunResult missing = run_vkcap(caption_args("0,7", dir / "imgs", dir / "x.jsonl"), dir.path);
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "--device 0,7: device 7: no device with that index"));
  CHECK_FALSE(contains(missing.err, "bundled default model"));  // nothing loaded
  CHECK_FALSE(fs::exists(dir / "x.jsonl"));
  CHECK(run_vkcap(caption_args("0,", dir / "imgs", dir / "x.jsonl"), dir.path).exit_code == 2);

  const RunResult all = run_vkcap(caption_args("all", dir / "imgs", dir / "all.jsonl"), dir.path);
  REQUIRE_MESSAGE(all.exit_code == 0, all.err);
  CHECK(captions_in(dir / "all.jsonl").size() == 44);
}

TEST_CASE("VKCAP_FAULT_INJECT=W:KIND@N names one worker; a plain value all of them") {
  // Mapped here, in the tool: the library sees only the worker's own part.
  CHECK(vkcap::cli::fault_injection_for_worker("device-lost@3", 0) == "device-lost@3");
  CHECK(vkcap::cli::fault_injection_for_worker("device-lost@3", 5) == "device-lost@3");
  CHECK(vkcap::cli::fault_injection_for_worker("1:device-lost@3", 0).empty());
  CHECK(vkcap::cli::fault_injection_for_worker("1:device-lost@3", 1) == "device-lost@3");
  CHECK(vkcap::cli::fault_injection_for_worker("0:submit-error@2,1:device-lost@3", 1) == "device-lost@3");
  CHECK(vkcap::cli::fault_injection_for_worker("", 0).empty());
  CHECK_THROWS(vkcap::cli::fault_injection_for_worker("x:device-lost@3", 0));
}
