// Scale-out: `--shard K/N` (and `auto` from Slurm / Kubernetes variables) splits the images by
// canonical path, whatever their spelling or order; `vkcap merge` joins the shards' files.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "cli/shard.h"
#include "cli_runner.h"
#include "common/scoped_env.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::test;
using cli::Shard;

namespace {

const fs::path kPng = kFixtures / "image" / "formats" / "rgb8.png";

cli::EnvLookup table(std::map<std::string, std::string> values) {
  return [values](const std::string& name) {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  };
}

// `count` copies of one small image (same caption, distinct paths: what sharding is about).
void make_images(const fs::path& dir, int count) {
  fs::create_directories(dir);
  for (int i = 0; i < count; ++i) fs::copy_file(kPng, dir / ("img" + std::to_string(1000 + i) + ".png"));
}

// image (canonical) → caption, checking every record is a caption and no image comes twice.
std::map<std::string, std::string> captions_in(const std::vector<nlohmann::json>& records) {
  std::map<std::string, std::string> out;
  for (const auto& r : records) {
    REQUIRE_MESSAGE(r.contains("caption"), r.dump());
    CHECK_MESSAGE(out.emplace(r["image"].get<std::string>(), r["caption"].get<std::string>()).second,
                  "twice: " << r["image"]);
  }
  return out;
}

// The child runs in this process's working directory: paths relative to it, or absolute.
std::string rel(const fs::path& p) { return fs::relative(p, fs::current_path()).string(); }

}  // namespace

TEST_CASE("--shard K/N and auto: parsed strictly, from Slurm and Kubernetes variables") {
  const Shard s = cli::parse_shard("2/4", std::nullopt, table({}));
  CHECK(s.index == 2);
  CHECK(s.count == 4);
  for (const char* bad : {"4/4", "-1/4", "1/0", "1", "a/b", "1/4/2", ""})
    CHECK_THROWS_AS(cli::parse_shard(bad, std::nullopt, table({})), InvalidArgumentError);
  CHECK_THROWS_AS(cli::parse_shard("1/4", 3, table({})), InvalidArgumentError);  // --shards disagrees

  Shard slurm = cli::parse_shard("auto", std::nullopt, table({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "8"}}));
  CHECK((slurm.index == 3 && slurm.count == 8));
  slurm = cli::parse_shard("auto", std::nullopt,
                           table({{"SLURM_ARRAY_TASK_ID", "12"}, {"SLURM_ARRAY_TASK_MIN", "10"}, {"SLURM_ARRAY_TASK_MAX", "13"}}));
  CHECK((slurm.index == 2 && slurm.count == 4));
  CHECK_THROWS_AS(cli::parse_shard("auto", std::nullopt, table({{"SLURM_ARRAY_TASK_ID", "3"}})), InvalidArgumentError);

  Shard k8s = cli::parse_shard("auto", 5, table({{"JOB_COMPLETION_INDEX", "4"}}));
  CHECK((k8s.index == 4 && k8s.count == 5));
  k8s = cli::parse_shard("auto", std::nullopt, table({{"JOB_COMPLETION_INDEX", "0"}, {"VKCAP_SHARDS", "2"}}));
  CHECK((k8s.index == 0 && k8s.count == 2));
  CHECK_THROWS_AS(cli::parse_shard("auto", std::nullopt, table({{"JOB_COMPLETION_INDEX", "1"}})), InvalidArgumentError);
  CHECK_THROWS_AS(cli::parse_shard("auto", 2, table({{"JOB_COMPLETION_INDEX", "2"}})), InvalidArgumentError);
  CHECK_THROWS_AS(cli::parse_shard("auto", std::nullopt, table({})), InvalidArgumentError);

  CHECK(cli::shard_output_path("out/captions.jsonl", {2, 8}) == "out/captions.2-of-8.jsonl");
  CHECK(cli::shard_output_path("run-{shard}.tsv", {0, 3}) == "run-0-of-3.tsv");
  // The hash is fixed (FNV-1a 64): the same split on every machine, in every version.
  CHECK(cli::path_hash("") == 14695981039346656037ull);
  CHECK(cli::path_hash("/data/a.jpg") == cli::path_hash(std::string("/data/a.jpg")));
}

TEST_CASE("4 shards over 300 images in different spellings and orders caption each exactly once; merge equals one run") {
  TempDir dir;
  make_images(dir / "imgs", 300);
  const fs::path out = dir / "out";
  fs::create_directories(out);
  // Four spellings of the same inputs: relative, absolute, ./-prefixed, and a reversed list.
  std::string list;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "imgs")) files.push_back(e.path());
  std::sort(files.rbegin(), files.rend());
  for (const fs::path& f : files) list += f.string() + "\n";
  write_text(dir / "list.txt", list);
  const std::vector<std::vector<std::string>> inputs = {
      {rel(dir / "imgs")}, {(dir / "imgs").string()}, {"./" + rel(dir / "imgs")},
      {"--input-list", (dir / "list.txt").string()}};

  std::vector<std::string> parts;
  size_t total = 0;
  for (int k = 0; k < 4; ++k) {
    std::vector<std::string> args = {"caption", "-q", "-b", "8", "-o", (out / "captions.jsonl").string(), "--shard",
                                     std::to_string(k) + "/4"};
    args.insert(args.end(), inputs[size_t(k)].begin(), inputs[size_t(k)].end());
    const RunResult r = run_vkcap(args, dir.path);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    parts.push_back((out / ("captions." + std::to_string(k) + "-of-4.jsonl")).string());
    const auto records = parse_jsonl(read_text(parts.back()));
    CHECK(records.size() > 30);  // the hash spreads 300 images over all four shards
    total += records.size();
  }
  CHECK(total == 300);

  std::vector<std::string> merge_args = {"merge", (dir / "merged.jsonl").string()};
  merge_args.insert(merge_args.end(), parts.begin(), parts.end());
  merge_args.insert(merge_args.end(), {"--inputs", (dir / "imgs").string()});
  const RunResult merged = run_vkcap(merge_args, dir.path);
  REQUIRE_MESSAGE(merged.exit_code == 0, merged.err);
  const auto joined = captions_in(parse_jsonl(read_text(dir / "merged.jsonl")));
  CHECK(joined.size() == 300);

  const RunResult whole =
      run_vkcap({"caption", "-q", "-b", "8", "-o", (dir / "all.jsonl").string(), (dir / "imgs").string()}, dir.path);
  REQUIRE_MESSAGE(whole.exit_code == 0, whole.err);
  CHECK(captions_in(parse_jsonl(read_text(dir / "all.jsonl"))) == joined);

  // Merging a part twice drops the duplicates; a merged file is never overwritten.
  const RunResult again = run_vkcap({"merge", (dir / "twice.jsonl").string(), parts[0], parts[0]}, dir.path);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("duplicate") != std::string::npos);
  CHECK(run_vkcap({"merge", (dir / "merged.jsonl").string(), parts[1]}, dir.path).exit_code == 2);
}

TEST_CASE("a killed shard resumes to completion; merge reports images with no caption and lists them") {
  TempDir dir;
  make_images(dir / "imgs", 60);
  const std::vector<std::string> shard1_args = {"caption", "-q", "-o", (dir / "c.jsonl").string(), "--shard", "1/2",
                                                (dir / "imgs").string()};
  const pid_t pid = spawn_vkcap(shard1_args, dir.path);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGKILL);
  wait_vkcap(pid, dir.path);
  const RunResult resumed = run_vkcap(shard1_args, dir.path);
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.err);
  const auto shard1 = captions_in(parse_jsonl(read_text(dir / "c.1-of-2.jsonl")));
  size_t expected = 0;
  for (const auto& e : fs::directory_iterator(dir / "imgs"))
    expected += cli::in_shard(fs::weakly_canonical(e.path()).string(), {1, 2});
  CHECK(shard1.size() == expected);

  // Shard 0 never ran: merge with --inputs names its images, exits 1 and lists them for a re-run;
  // an image with only an error record counts as not captioned either.
  write_text(dir / "errors.jsonl", "{\"image\":\"" + (dir / "imgs" / "img1000.png").string() + "\",\"error\":\"boom\"}\n");
  const RunResult merged = run_vkcap({"merge", (dir / "m.jsonl").string(), (dir / "c.1-of-2.jsonl").string(),
                                      (dir / "errors.jsonl").string(), "--inputs", (dir / "imgs").string(), "--missing",
                                      (dir / "todo.txt").string()}, dir.path);
  CHECK(merged.exit_code == 1);
  const auto todo = lines_of(read_text(dir / "todo.txt"));
  CHECK(todo.size() == 60 - expected);
  CHECK(std::set<std::string>(todo.begin(), todo.end()).count(fs::weakly_canonical(dir / "imgs" / "img1000.png").string()) ==
        (cli::in_shard(fs::weakly_canonical(dir / "imgs" / "img1000.png").string(), {1, 2}) ? 0u : 1u));
  // The list feeds a re-run of just those images.
  const RunResult rest = run_vkcap(
      {"caption", "-q", "-o", (dir / "rest.jsonl").string(), "--input-list", (dir / "todo.txt").string()}, dir.path);
  CHECK(rest.exit_code == 0);
  CHECK(parse_jsonl(read_text(dir / "rest.jsonl")).size() == todo.size());
}

TEST_CASE("--shard auto reads the scheduler's index, and is a usage error where there is none") {
  TempDir dir;
  make_images(dir / "imgs", 16);
  {
    ScopedEnv id("SLURM_ARRAY_TASK_ID", "1"), count("SLURM_ARRAY_TASK_COUNT", "2");
    const RunResult r =
        run_vkcap({"caption", "-q", "-o", (dir / "s.jsonl").string(), "--shard", "auto", (dir / "imgs").string()}, dir.path);
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(fs::exists(dir / "s.1-of-2.jsonl"));
  }
  {
    ScopedEnv id("SLURM_ARRAY_TASK_ID", nullptr), index("JOB_COMPLETION_INDEX", "0");
    const RunResult r = run_vkcap(
        {"caption", "-q", "-o", (dir / "k.jsonl").string(), "--shard", "auto", "--shards", "2", (dir / "imgs").string()},
        dir.path);
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(fs::exists(dir / "k.0-of-2.jsonl"));
  }
  ScopedEnv id("SLURM_ARRAY_TASK_ID", nullptr), index("JOB_COMPLETION_INDEX", nullptr);
  const RunResult none = run_vkcap({"caption", "-q", "--shard", "auto", (dir / "imgs").string()}, dir.path);
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("no scheduler index") != std::string::npos);
  CHECK(run_vkcap({"caption", "-q", "--shards", "2", (dir / "imgs").string()}, dir.path).exit_code == 2);
}
