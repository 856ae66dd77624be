// -o FILE is only ever appended to when vkcap wrote it, in the same format, with the same model
// and settings; the images in it are known by their canonical path whatever the spelling; names
// with tabs and line breaks survive the round trip; and one run at a time holds the file.
#include <doctest/doctest.h>

#include <map>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

const std::string kModel = (kFixtures / "blip_tiny_a").string();
const std::string kOtherModel = (kFixtures / "vitgpt2_tiny_a").string();
const fs::path kImage = kFixtures / "blip_tiny_a" / "img0_80x56.png";

std::vector<std::string> caption(std::vector<std::string> extra) {
  std::vector<std::string> args = {"caption", "-m", kModel, "-n", "8"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

fs::path copy_images(const fs::path& dir, int count) {
  fs::create_directories(dir);
  for (int i = 0; i < count; ++i) fs::copy_file(kImage, dir / std::string("p").append(std::to_string(i)).append(".png"));
  return dir;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("-o never appends to a file vkcap did not write: exit 2, one line naming it, the file byte-identical") {
  TempDir dir;
  const std::string notes = "line one\nmy notes without trailing newline";
  const std::string photo = read_text(kImage);
  // (file name, content, -f) — by extension txt, jpg (tsv, the default), jsonl, tsv.
  const std::vector<std::tuple<std::string, std::string, std::string>> files = {
      {"notes.txt", notes, ""},
      {"notes.tsv", notes, ""},
      {"photo.jpg", photo, ""},
      {"data.jsonl", "{\"a\": 1}\n{\"image\": \"x.png\"", ""},
      {"table.tsv", "name\tvalue\nb\t2\n", ""},
      {"other.csv", "image,caption\n\"a.png\",\"x\"\n", ""},
  };
  for (const auto& [name, content, format] : files) {
    CAPTURE(name);
    write_text(dir / name, content);
    RunResult r = run_vkcap(caption({"-o", (dir / name).string(), kImage.string()}), dir.path);
    CHECK(r.exit_code == 2);
    CHECK(lines_of(r.err).size() == 1);
    CHECK(contains(r.err, (dir / name).string()));
    CHECK(read_text(dir / name) == content);
  }
  // A headerless two-column table is what an older vkcap wrote: the message says how to adopt it.
  RunResult r = run_vkcap(caption({"-o", (dir / "table.tsv").string(), kImage.string()}), dir.path);
  CHECK(contains(r.err, "add the line '# vkcap tsv' at its top"));
  write_text(dir / "adopted.tsv", "# vkcap tsv\n" + kImage.string() + "\tan old caption\n");
  r = run_vkcap(caption({"-o", (dir / "adopted.tsv").string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "1 of 1 image(s) already captioned"));
}

TEST_CASE("only a torn last line vkcap can have written is cut") {
  TempDir dir;
  const fs::path out = dir / "out.jsonl";
  REQUIRE(run_vkcap(caption({"-o", out.string(), kImage.string()}), dir.path).exit_code == 0);
  const std::string records = read_text(out);
  // Text somebody appended without a newline is no record of vkcap's: refused, kept.
  write_text(out, records + "my own note");
  RunResult r = run_vkcap(caption({"-o", out.string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 2);
  CHECK(read_text(out) == records + "my own note");
  // The start of a record, as kill -9 or a power cut leaves it: cut, and the run goes on.
  write_text(out, records + "{\"caption\":\"a c");
  r = run_vkcap(caption({"-o", out.string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "cut an unfinished last record (15 bytes)"));
  CHECK(read_text(out) == records);
  // A file that is only the start of vkcap's tsv header (killed during the first write).
  write_text(dir / "out.tsv", "# vkc");
  r = run_vkcap(caption({"-o", (dir / "out.tsv").string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 0);
  CHECK(lines_of(read_text(dir / "out.tsv")).size() == 2);
  CHECK(read_text(dir / "out.tsv").starts_with("# vkcap tsv\tmodel="));
}

TEST_CASE("the format comes from -f, else -o's extension; a file in another format is refused") {
  TempDir dir;
  const fs::path jsonl = dir / "out.jsonl";
  RunResult r = run_vkcap(caption({"-o", jsonl.string(), kImage.string()}), dir.path);
  REQUIRE(r.exit_code == 0);
  CHECK(parse_jsonl(read_text(jsonl)).at(0)["image"] == fs::weakly_canonical(kImage).string());
  const std::string before = read_text(jsonl);

  r = run_vkcap(caption({"-f", "tsv", "-o", jsonl.string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "-f tsv contradicts -o " + jsonl.string()));

  // The same records under a .tsv name: vkcap's, but not the format this run writes.
  fs::copy_file(jsonl, dir / "renamed.tsv");
  r = run_vkcap(caption({"-o", (dir / "renamed.tsv").string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "holds vkcap jsonl records but this run writes tsv"));
  CHECK(read_text(jsonl) == before);
  CHECK(read_text(dir / "renamed.tsv") == before);

  r = run_vkcap(caption({"-o", (dir / "out.csv").string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 0);
  CHECK(lines_of(read_text(dir / "out.csv")).at(0) == "image,caption,tokens,finish_reason,score,error,model,settings");
  r = run_vkcap(caption({"-o", (dir / "out.tsv").string(), kImage.string()}), dir.path);
  CHECK(r.exit_code == 0);
  CHECK(lines_of(read_text(dir / "out.tsv")).at(0).starts_with("# vkcap tsv\tmodel=" + kModel + "\tsettings={"));
}

TEST_CASE("images are known by their canonical path: another spelling of the same folder captions nothing twice") {
  TempDir dir;
  copy_images(dir / "photos", 3);
  fs::create_directory_symlink(dir / "photos", dir / "link");
  const fs::path out = dir / "out.jsonl";
  // Relative to this process's working directory (where the child starts), absolute, with "."
  // and "..", and through a symlink.
  const std::string relative = fs::relative(dir / "photos", fs::current_path()).string();
  REQUIRE(!fs::path(relative).is_absolute());
  RunResult r = run_vkcap(caption({"-o", out.string(), relative}), dir.path);
  REQUIRE(r.exit_code == 0);
  REQUIRE(lines_of(read_text(out)).size() == 3);
  for (const std::string& spelling : {(dir / "photos").string(), (dir / "." / "photos" / "").string(),
                                      (dir / "photos" / ".." / "photos").string(), (dir / "link").string()}) {
    CAPTURE(spelling);
    r = run_vkcap(caption({"-o", out.string(), spelling}), dir.path);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "3 of 3 image(s) already captioned"));
  }
  CHECK(lines_of(read_text(out)).size() == 3);
  // Named twice in one run, by two spellings: captioned once.
  r = run_vkcap(caption({(dir / "photos" / "p0.png").string(), (dir / "link" / "p0.png").string()}), dir.path);
  CHECK(lines_of(r.out).size() == 1);
}

TEST_CASE("another model or other settings than the file's records: refused naming both, unless --resume-any") {
  TempDir dir;
  copy_images(dir / "photos", 2);
  for (const std::string format : {"jsonl", "tsv", "csv"}) {
    CAPTURE(format);
    const fs::path out = dir / ("out." + format);
    RunResult r = run_vkcap(caption({"-o", out.string(), (dir / "photos" / "p0.png").string()}), dir.path);
    REQUIRE(r.exit_code == 0);
    const std::string before = read_text(out);

    r = run_vkcap({"caption", "-m", kOtherModel, "-n", "8", "-o", out.string(), (dir / "photos").string()}, dir.path);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "model " + kModel + " vs " + kOtherModel));
    CHECK(!contains(r.err, "no GPU found"));  // refused before the model loads
    r = run_vkcap(caption({"--beams", "2", "-o", out.string(), (dir / "photos").string()}), dir.path);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "num_beams 1 vs 2"));
    CHECK(contains(r.err, "--resume-any"));
    CHECK(read_text(out) == before);

    r = run_vkcap(caption({"--beams", "2", "--resume-any", "-o", out.string(), (dir / "photos").string()}), dir.path);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "1 of 2 image(s) already captioned"));
    CHECK(read_text(out).starts_with(before));
    CHECK(read_text(out).size() > before.size());
  }
  // tsv: the mixed-in records get their own header line saying how they were made.
  const auto rows = lines_of(read_text(dir / "out.tsv"));
  REQUIRE(rows.size() == 4);
  CHECK(rows[2].starts_with("# vkcap tsv"));
  CHECK(contains(rows[2], "\"num_beams\":2"));
}

TEST_CASE("names with tabs, line breaks and backslashes survive tsv and csv, so a re-run finds them") {
  TempDir dir;
  fs::create_directories(dir / "odd");
  const std::vector<std::string> names = {"a\ttab.png", "new\nline.png", "back\\slash.png", "cr\rx.png"};
  for (const std::string& name : names) fs::copy_file(kImage, dir / "odd" / name);
  for (const std::string format : {"tsv", "csv"}) {
    CAPTURE(format);
    const fs::path out = dir / ("out." + format);
    RunResult r = run_vkcap(caption({"-o", out.string(), (dir / "odd").string()}), dir.path);
    REQUIRE(r.exit_code == 0);
    const auto rows = lines_of(read_text(out));
    CHECK(rows.size() == names.size() + 1);  // the header, then one line per image
    const std::string escaped = format == "tsv" ? (dir / "odd").string().append("/a\\ttab.png\t")
                                                : std::string("\"").append((dir / "odd").string()).append("/new\\nline.png\",");
    CHECK(std::any_of(rows.begin(), rows.end(), [&](const std::string& row) { return row.starts_with(escaped); }));
    r = run_vkcap(caption({"-o", out.string(), (dir / "odd").string()}), dir.path);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "4 of 4 image(s) already captioned"));
    CHECK(lines_of(read_text(out)).size() == names.size() + 1);
  }
}

TEST_CASE("a second run on the same -o FILE is refused at once, naming the first; a kill -9 releases the file") {
  TempDir dir;
  copy_images(dir / "photos", 24);
  const fs::path out = dir / "out.jsonl";
  const std::vector<std::string> args = caption({"--beams", "3", "-o", out.string(), (dir / "photos").string()});
  const fs::path first_dir = dir / "first";
  fs::create_directories(first_dir);
  const pid_t first = spawn_vkcap(args, first_dir);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lines_of(read_text(out)).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(!lines_of(read_text(out)).empty());  // the first run is working

  const auto t0 = std::chrono::steady_clock::now();
  RunResult second = run_vkcap(args, dir.path);
  CHECK(second.exit_code == 2);
  CHECK(contains(second.err, "another vkcap run (pid " + std::to_string(first) + ") is writing to it"));
  CHECK(!contains(second.err, "no GPU found"));  // at once: before its model loads
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));

  ::kill(first, SIGKILL);
  collect_vkcap(first, first_dir);
  RunResult resumed = run_vkcap(args, dir.path);
  CHECK(resumed.exit_code == 0);
  std::map<std::string, int> seen;
  for (const auto& j : parse_jsonl(read_text(out))) ++seen[j["image"].get<std::string>()];
  CHECK(seen.size() == 24);
  for (const auto& [image, n] : seen) CHECK(n == 1);
}
