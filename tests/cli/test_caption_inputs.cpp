// Which files a directory walk captions and what it tells about the rest: files that are not
// images are counted in one line per directory, subdirectories left out without -r get one hint,
// a directory with no image says so. WebP, TIFF, HEIF and AVIF files are found by their bytes.
#include <doctest/doctest.h>

#include <map>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

const std::string kModel = (kFixtures / "blip_tiny_a").string();
const fs::path kFormats = kFixtures / "image" / "formats";

std::map<std::string, std::string> captions_by_file(const std::string& tsv) {
  std::map<std::string, std::string> out;
  for (const std::string& line : lines_of(tsv))
    out[fs::path(line.substr(0, line.find('\t'))).filename().string()] = line.substr(line.find('\t') + 1);
  return out;
}

}  // namespace

TEST_CASE("a directory walk counts the files it skips and hints at subdirectories without -r") {
  TempDir dir;
  fs::copy_file(kFormats / "rgb8.png", dir / "a.png");
  fs::copy_file(kFormats / "lossless.webp", dir / "b.webp");
  fs::copy_file(kFormats / "rgb8.tif", dir / "c.tif");
  fs::copy_file(kFormats / "photo.heic", dir / "d.heic");
  fs::copy_file(kFormats / "photo.avif", dir / "e");  // no extension: found by its bytes
  write_text(dir / "notes.json", "{}");
  write_text(dir / "readme.md", "# photos\n");
  write_text(dir / "data.csv", "1,2\n");
  write_text(dir / "z.pdf", "%PDF-1.4\n");
  write_text(dir / ".hidden", "not counted");
  fs::create_directories(dir / "sub1");
  fs::create_directories(dir / "sub2");
  fs::create_directories(dir / ".git");  // hidden: never searched, never mentioned
  fs::copy_file(kFormats / "lossy.webp", dir / "sub1" / "f.webp");

  const std::string d = dir.path.string();
  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "8", d}, dir.path);
  CAPTURE(r.err);
  CHECK(r.exit_code == 0);
  const auto captions = captions_by_file(r.out);
  CHECK(captions.size() == 5);
  for (const char* file : {"a.png", "b.webp", "c.tif", "d.heic", "e"}) CHECK(captions.count(file) == 1);
  // The same picture in three formats gets the same caption.
  CHECK(captions.at("b.webp") == captions.at("a.png"));
  CHECK(captions.at("c.tif") == captions.at("a.png"));
  CHECK(r.err.find(d + ": 4 skipped: not an image (data.csv, notes.json, readme.md, ...)\n") != std::string::npos);
  CHECK(r.err.find(d + ": 2 subdirectories not searched; add -r\n") != std::string::npos);
  CHECK(r.err.find(".hidden") == std::string::npos);

  r = run_vkcap({"caption", "-m", kModel, "-n", "8", "-r", d}, dir.path);
  CHECK(r.exit_code == 0);
  CHECK(captions_by_file(r.out).count("f.webp") == 1);
  CHECK(r.err.find("not searched") == std::string::npos);
  CHECK(r.err.find(d + ": 4 skipped: not an image") != std::string::npos);
}

TEST_CASE("a directory without images says so, with what it skipped") {
  TempDir dir;
  write_text(dir / "notes.json", "{}");
  fs::create_directories(dir / "photos");
  fs::copy_file(kFormats / "rgb8.png", dir / "photos" / "a.png");
  const std::string d = dir.path.string();
  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "8", d}, dir.path);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(d + ": no images found; 1 skipped: not an image (notes.json)\n") != std::string::npos);
  CHECK(r.err.find(d + ": 1 subdirectory not searched; add -r\n") != std::string::npos);

  const fs::path empty = dir / "empty";
  fs::create_directories(empty);
  r = run_vkcap({"caption", "-m", kModel, "-n", "8", empty.string()}, dir.path);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(empty.string() + ": no images found\n") != std::string::npos);
}
