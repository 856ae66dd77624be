// vkcap caption over real directories: sidecar files, bad files among good ones, quoted
// patterns and lists, and runs that are killed and resumed.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

const std::string kFixture = "blip_tiny_a";
const std::string kModel = (kFixtures / kFixture).string();

// Copies the fixture images into `dir` as name0.png, name1.png (or more, cycling).
std::vector<fs::path> copy_images(const fs::path& dir, int count, const std::string& stem = "photo") {
  const auto images = fixture_images(kFixture);
  std::vector<fs::path> out;
  for (int i = 0; i < count; ++i) {
    const fs::path p = dir / (stem + std::to_string(i) + ".png");
    fs::copy_file(kFixtures / kFixture / images[size_t(i) % images.size()], p);
    out.push_back(p);
  }
  return out;
}

std::string caption_of(int i) {
  const auto images = fixture_images(kFixture);
  return greedy_text(kFixture, images[size_t(i) % images.size()]);
}

}  // namespace

TEST_CASE("--sidecar writes photo.txt beside photo.png, replacing the extension") {
  TempDir dir;
  auto images = copy_images(dir.path, 2);
  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "12", "--sidecar", dir.path.string()}, dir.path);
  REQUIRE(r.exit_code == 0);
  for (int i = 0; i < 2; ++i) CHECK(read_text(dir / ("photo" + std::to_string(i) + ".txt")) == caption_of(i) + "\n");
  CHECK(lines_of(r.out).size() == 2);  // the records still go to stdout
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.path().filename().string()[0] != '.';
  CHECK(files == 4);

  // Another extension; the existing .txt sidecars are skipped silently as inputs.
  r = run_vkcap({"caption", "-m", kModel, "-n", "12", "--sidecar=caption", dir.path.string()}, dir.path);
  REQUIRE(r.exit_code == 0);
  CHECK(read_text(dir / "photo1.caption") == caption_of(1) + "\n");
  CHECK(r.err.find("not an image") == std::string::npos);
}

TEST_CASE("--existing skip, overwrite, append and prepend; --prefix and --suffix") {
  TempDir dir;
  auto images = copy_images(dir.path, 1);
  const fs::path side = dir / "photo0.txt";
  const std::string caption = caption_of(0);
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"caption", "-m", kModel, "-n", "12", "--sidecar"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(images[0].string());
    return run_vkcap(args, dir.path);
  };

  write_text(side, "old words\n");
  RunResult r = run({});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());  // skip is the default: nothing to caption
  CHECK(read_text(side) == "old words\n");

  r = run({"--existing", "append"});
  CHECK(r.exit_code == 0);
  CHECK(read_text(side) == "old words, " + caption + "\n");

  write_text(side, "old words\n");
  r = run({"--existing", "prepend"});
  CHECK(read_text(side) == caption + ", old words\n");

  r = run({"--existing", "overwrite", "--prefix", "photo of sks, ", "--suffix", "."});
  CHECK(r.exit_code == 0);
  CHECK(read_text(side) == "photo of sks, " + caption + ".\n");
  CHECK(r.out == images[0].string() + "\tphoto of sks, " + caption + ".\n");
}

TEST_CASE("bad files: reported on stderr and as error records, the run goes on, exit code 1") {
  TempDir dir;
  copy_images(dir.path, 1, "good");
  const std::string png = read_text(kFixtures / kFixture / fixture_images(kFixture)[0]);
  write_text(dir / "corrupt.png", png.substr(0, 8) + std::string(200, 'x'));
  write_text(dir / "truncated.png", png.substr(0, png.size() / 2));
  write_text(dir / "empty.png", "");
  write_text(dir / "notes.json", "{\"not\": \"an image\"}");
  fs::create_symlink(dir / "gone.png", dir / "dangling.png");
  // A 20000x20000 BMP header (400 MP): refused before any pixel is read.
  std::string bmp(54, '\0');
  bmp[0] = 'B', bmp[1] = 'M', bmp[14] = 40, bmp[26] = 1, bmp[28] = 24;
  for (int i = 0; i < 4; ++i) bmp[18 + i] = char((20000 >> (8 * i)) & 0xFF), bmp[22 + i] = bmp[18 + i];
  write_text(dir / "huge.bmp", bmp);
  // (chmod 000 is no test here: the tests run as root, who can read such files anyway; the
  // dangling symlink is the unreadable directory entry.)

  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "12", "-f", "jsonl", dir.path.string()}, dir.path);
  CHECK(r.exit_code == 1);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& j : parse_jsonl(r.out)) by_name[fs::path(j["image"].get<std::string>()).filename().string()] = j;
  CHECK(by_name.count("notes.json") == 0);  // not an image: skipped and counted
  CHECK(r.err.find(dir.path.string() + ": 1 skipped: not an image (notes.json)") != std::string::npos);
  REQUIRE(by_name.count("good0.png") == 1);
  CHECK(by_name["good0.png"]["caption"] == caption_of(0));
  for (const std::string bad : {"corrupt.png", "truncated.png", "empty.png", "dangling.png", "huge.bmp"}) {
    CAPTURE(bad);
    REQUIRE(by_name.count(bad) == 1);
    CHECK(by_name[bad].contains("error"));
    CHECK(!by_name[bad].contains("caption"));
    CHECK(r.err.find(bad) != std::string::npos);
  }
  CHECK(by_name["huge.bmp"]["error"].get<std::string>().find("megapixels") != std::string::npos);

  // Named explicitly, a file that is not an image is an error (not a notice).
  r = run_vkcap({"caption", "-m", kModel, "-n", "12", (dir / "notes.json").string(), (dir / "good0.png").string()},
                dir.path);
  CHECK(r.exit_code == 1);
  CHECK(lines_of(r.out).size() == 1);
  CHECK(r.err.find("notes.json: not a supported image") != std::string::npos);

  // All good: 0.
  r = run_vkcap({"caption", "-m", kModel, "-n", "12", (dir / "good0.png").string()}, dir.path);
  CHECK(r.exit_code == 0);
}

TEST_CASE("quoted patterns, --recursive and --input-list (stdin)") {
  TempDir dir;
  fs::create_directories(dir / "a" / "b");
  copy_images(dir / "a", 2, "top");
  copy_images(dir / "a" / "b", 1, "deep");

  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "12", (dir / "a" / "top*.png").string()}, dir.path);
  CHECK(r.exit_code == 0);
  CHECK(lines_of(r.out).size() == 2);

  r = run_vkcap({"caption", "-m", kModel, "-n", "12", (dir / "a").string()}, dir.path);
  CHECK(lines_of(r.out).size() == 2);
  r = run_vkcap({"caption", "-m", kModel, "-n", "12", "-r", (dir / "a").string()}, dir.path);
  CHECK(lines_of(r.out).size() == 3);

  const std::string list = (dir / "a" / "top1.png").string() + "\n" + (dir / "a" / "b" / "deep0.png").string() + "\n";
  r = run_vkcap({"caption", "-m", kModel, "-n", "12", "--input-list", "-"}, dir.path, list);
  CHECK(r.exit_code == 0);
  auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == (dir / "a" / "top1.png").string() + "\t" + caption_of(1));
  CHECK(rows[1] == (dir / "a" / "b" / "deep0.png").string() + "\t" + caption_of(0));

  r = run_vkcap({"caption", "-m", kModel, (dir / "nothing*.png").string()}, dir.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no file matches") != std::string::npos);
}

TEST_CASE("a run killed with SIGKILL resumes: every image appears exactly once") {
  TempDir dir;
  fs::create_directories(dir / "images");
  const int count = 24;
  copy_images(dir / "images", count);
  const fs::path out = dir / "out.jsonl";
  const std::vector<std::string> args = {"caption", "-m", kModel, "-n", "12", "--beams", "3", "--fsync",
                                         "-f", "jsonl", "-o", out.string(), (dir / "images").string()};

  const pid_t pid = spawn_vkcap(args, dir.path);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (lines_of(read_text(out)).size() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::kill(pid, SIGKILL);
  RunResult killed = wait_vkcap(pid, dir.path);
  const size_t before = lines_of(read_text(out)).size();
  MESSAGE("records before SIGKILL: " << before << " of " << count << " (exit " << killed.exit_code << ")");
  CHECK(before >= 3);
  CHECK(killed.out.empty());  // -o: nothing on stdout
  // As if the kill had landed in the middle of a write: a torn last line.
  { std::ofstream(out, std::ios::app) << "{\"image\": \"" << (dir / "images" / "photo23.png").string() << "\", \"capt"; }

  RunResult resumed = run_vkcap(args, dir.path);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("unfinished last record") != std::string::npos);
  std::map<std::string, int> seen;
  for (const auto& j : parse_jsonl(read_text(out))) {  // parse_jsonl throws on a torn line
    CHECK(!j.contains("error"));
    ++seen[j["image"].get<std::string>()];
  }
  CHECK(seen.size() == size_t(count));
  for (const auto& [image, n] : seen) {
    CAPTURE(image);
    CHECK(n == 1);
  }

  // A third run finds nothing to do and does not even load the model.
  RunResult again = run_vkcap(args, dir.path);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("already captioned") != std::string::npos);
  CHECK(lines_of(read_text(out)).size() == size_t(count));
}

TEST_CASE("tsv and csv outputs resume too; a json array refuses to append") {
  TempDir dir;
  auto images = copy_images(dir.path, 3);
  for (const std::string format : {"tsv", "csv"}) {
    CAPTURE(format);
    const fs::path out = dir / ("out." + format);
    RunResult first = run_vkcap({"caption", "-m", kModel, "-n", "12", "-f", format, "-o", out.string(),
                                 images[0].string()}, dir.path);
    REQUIRE(first.exit_code == 0);
    RunResult second = run_vkcap({"caption", "-m", kModel, "-n", "12", "-f", format, "-o", out.string(),
                                  dir.path.string()}, dir.path);
    REQUIRE(second.exit_code == 0);
    auto rows = lines_of(read_text(out));
    CHECK(rows.size() == 4u);  // one header: csv's columns, tsv's "# vkcap tsv" line
    std::set<std::string> unique(rows.begin(), rows.end());
    CHECK(unique.size() == rows.size());
  }
  const fs::path json = dir / "out.json";
  REQUIRE(run_vkcap({"caption", "-m", kModel, "-n", "12", "-f", "json", "-o", json.string(), images[0].string()},
                    dir.path).exit_code == 0);
  CHECK(nlohmann::json::parse(read_text(json)).size() == 1);
  RunResult refused = run_vkcap({"caption", "-m", kModel, "-f", "json", "-o", json.string(), images[1].string()}, dir.path);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("jsonl") != std::string::npos);
}

TEST_CASE("a preprocessor config that resizes to the wrong size fails each image with one line, before any work") {
  TempDir dir;
  fs::create_directories(dir / "model");
  for (const auto& e : fs::directory_iterator(kFixtures / kFixture))
    if (e.is_regular_file()) fs::copy_file(e.path(), dir / "model" / e.path().filename());
  std::string pp = read_text(dir / "model" / "preprocessor_config.json");
  pp.replace(pp.find("\"height\": 32"), 12, "\"height\": 48");
  write_text(dir / "model" / "preprocessor_config.json", pp);
  copy_images(dir.path, 2);
  RunResult r = run_vkcap({"caption", "-q", "-m", (dir / "model").string(), (dir / "photo0.png").string(),
                           (dir / "photo1.png").string()},
                          dir.path);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  const std::string expected =
      (dir / "model").string() + "/preprocessor_config.json: resizes this image to 32x48 but the vision model takes 32x32";
  CHECK(r.err.find(expected) != std::string::npos);
  CHECK(lines_of(r.err).size() == 2);  // one line per image; -q: no notices, no summary
}

TEST_CASE("Ctrl-C stops after the current batch: whole records, a summary, exit 130, and a re-run resumes") {
  TempDir dir;
  fs::create_directories(dir / "images");
  const int count = 40;
  copy_images(dir / "images", count);
  const fs::path out = dir / "out.jsonl";
  const std::vector<std::string> args = {"caption", "-m", kModel, "-n", "12", "--beams", "3",
                                         "-f", "jsonl", "-o", out.string(), (dir / "images").string()};
  const pid_t pid = spawn_vkcap(args, dir.path);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lines_of(read_text(out)).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ::kill(pid, SIGINT);
  RunResult stopped = wait_vkcap(pid, dir.path);
  CAPTURE(stopped.err);
  const auto records = parse_jsonl(read_text(out));  // throws on a torn record
  MESSAGE("records before Ctrl-C took effect: " << records.size() << " of " << count);
  REQUIRE(records.size() < size_t(count));  // it stopped early...
  CHECK(stopped.exit_code == 130);
  CHECK(stopped.err.find("stopping after the current batch") != std::string::npos);
  CHECK(stopped.err.find(std::to_string(records.size()) + " image(s) captioned, 0 failed") != std::string::npos);
  CHECK(stopped.err.find("interrupted with " + std::to_string(count - int(records.size())) + " of " +
                         std::to_string(count) + " image(s) not started; run the same command again to resume") !=
        std::string::npos);

  RunResult resumed = run_vkcap(args, dir.path);
  CHECK(resumed.exit_code == 0);
  std::set<std::string> images;
  for (const auto& j : parse_jsonl(read_text(out))) CHECK(images.insert(j["image"].get<std::string>()).second);
  CHECK(images.size() == size_t(count));
}
