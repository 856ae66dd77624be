// `vkcap caption` on a Florence-2 directory (the tiny golden checkpoints made by Microsoft's code):
// the task's answer in the record, transformers' tokens, regions in the image's pixels, the
// checkpoint's own beam settings by default, and usage errors (exit 2) for task misuse.
#include <doctest/doctest.h>

#include "cli/cli_runner.h"
#include "text/florence2_postprocess.h"
#include "text/tokenizer.h"

using namespace vkcap::test;
using nlohmann::json;

namespace {

const fs::path kModelA = kFixtures / "florence2_tiny_a";
const fs::path kModelB = kFixtures / "florence2_tiny_b";

json golden(const fs::path& model, const std::string& file, const std::string& task) {
  const json expected = json::parse(read_text(model / "expected.json"));
  for (const json& image : expected["images"])
    if (image["file"] == file) return image["tasks"][task];
  FAIL("no golden for " << file);
  return {};
}

// The one jsonl record of a run.
json record_of(const RunResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> lines = lines_of(r.out);
  REQUIRE(lines.size() == 1);
  return json::parse(lines[0]);
}

const std::vector<std::string> kGreedy16 = {"--preset", "hf", "--beams", "1", "--no-repeat-ngram", "0", "-n", "16"};

}  // namespace

TEST_CASE("Florence-2 caption: transformers' greedy tokens, and the post-processed answer as the caption") {
  TempDir dir;
  const std::string image = (kModelA / "img0_120x80.png").string();
  std::vector<std::string> args = {"caption", "-m", kModelA.string(), "-f", "jsonl", image};
  args.insert(args.end(), kGreedy16.begin(), kGreedy16.end());
  const json r = record_of(run_vkcap(args, dir.path));
  const json want = golden(kModelA, "img0_120x80.png", "<CAPTION>")["greedy"];
  CHECK(r["tokens"] == want["sequence"]);
  CHECK(r["task"] == "<CAPTION>");
  CHECK(r["generation"]["task"] == "<CAPTION>");
  // What post_process_generation gives for the text Microsoft's (fast) tokenizer decodes.
  const auto tokenizer = vkcap::text::load_tokenizer(kModelA);
  const std::vector<int32_t> ids = want["sequence"].get<std::vector<int32_t>>();
  const vkcap::text::Florence2Result answer =
      vkcap::text::florence2_post_process(vkcap::text::florence2_generated_text(*tokenizer, ids), "<CAPTION>", 120, 80);
  CHECK(r["caption"] == answer.text);
  CHECK(r.contains("mean_logprob"));
  CHECK_FALSE(r.contains("regions"));
}

TEST_CASE("Florence-2 defaults to the checkpoint's beam search (card), with its max_new_tokens cut to the model") {
  TempDir dir;
  const std::string image = (kModelA / "img1_64x64.png").string();
  RunResult run = run_vkcap({"caption", "-m", kModelA.string(), "-f", "jsonl", "--task", "detailed-caption", "-n",
                             "16", image},
                            dir.path);
  json r = record_of(run);
  const json want = golden(kModelA, "img1_64x64.png", "<DETAILED_CAPTION>")["card"];
  CHECK(r["tokens"] == want["sequence"]);
  CHECK(r["generation"]["preset"] == "card");
  CHECK(r["generation"]["num_beams"] == 3);
  CHECK(r["generation"]["no_repeat_ngram_size"] == 3);
  CHECK(std::abs(r["sequence_score"].get<double>() - want["sequence_score"].get<double>()) < 1e-3);
  // Without -n: the card's 1024 new tokens do not fit the tiny model's 128 positions.
  run = run_vkcap({"caption", "-m", kModelA.string(), "-f", "txt", "--task", "<DETAILED_CAPTION>", image}, dir.path);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("preset 'card' asks for up to 1024 new tokens") != std::string::npos);
}

TEST_CASE("Florence-2 in batches: two images encoded and beam-searched together get their own golden tokens") {
  TempDir dir;
  const RunResult run = run_vkcap({"caption", "-m", kModelA.string(), "-f", "jsonl", "--task", "od", "-n", "16", "-b",
                                   "2", (kModelA / "img0_120x80.png").string(), (kModelA / "img1_64x64.png").string()},
                                  dir.path);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> lines = lines_of(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(json::parse(lines[0])["tokens"] == golden(kModelA, "img0_120x80.png", "<OD>")["card"]["sequence"]);
  CHECK(json::parse(lines[1])["tokens"] == golden(kModelA, "img1_64x64.png", "<OD>")["card"]["sequence"]);
}

TEST_CASE("Florence-2 region tasks: regions in the original image's pixels; the sidecar gets the labels") {
  TempDir dir;
  // Greedy <OD> on this image writes 14 location tokens <loc_567>; the processor's pattern
  // reads boxes labelled "loc_567>" from them (the phrase may start inside a location token).
  fs::copy_file(kModelB / "img0_90x150.png", dir / "img.png");
  std::vector<std::string> args = {"caption", "-m", kModelB.string(), "-f", "jsonl", "--task", "od", "--sidecar",
                                   (dir / "img.png").string()};
  args.insert(args.end(), kGreedy16.begin(), kGreedy16.end());
  const json r = record_of(run_vkcap(args, dir.path));
  CHECK(r["tokens"] == golden(kModelB, "img0_90x150.png", "<OD>")["greedy"]["sequence"]);
  REQUIRE(r["regions"].size() == 3);
  // Bin 567 of 1000: x = 567.5 · 90 / 1000, y = 567.5 · 150 / 1000 (float32, shortest digits).
  CHECK(r["regions"][0]["label"] == "loc_567>");
  CHECK(r["regions"][0]["box"] == json::parse("[51.075, 85.125, 51.075, 85.125]"));
  CHECK(r["caption"] == "loc_567>; loc_567>; loc_567>");
  CHECK(read_text(dir / "img.txt") == "loc_567>; loc_567>; loc_567>\n");
}

TEST_CASE("Florence-2 task misuse is a usage error (exit 2)") {
  TempDir dir;
  const std::string image = (kModelA / "img0_120x80.png").string();
  const auto fails = [&](std::vector<std::string> args, const std::string& message) {
    const RunResult r = run_vkcap(args, dir.path);
    CAPTURE(args.back());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_MESSAGE(r.err.find(message) != std::string::npos, r.err);
  };
  fails({"caption", "-m", kModelA.string(), "--task", "phrase-grounding", image}, "needs an input text");
  fails({"caption", "-m", kModelA.string(), "--task", "captions", image}, "task 'captions': expected one of");
  fails({"caption", "-m", kModelA.string(), "--text", "a car", image}, "takes no input text");
  fails({"caption", "-m", kModelA.string(), "--prompt", "a photo of", image}, "not a caption prompt");
  const std::string blip = (kFixtures / "blip_tiny_a").string();
  fails({"caption", "-m", blip, "--task", "od", (kFixtures / "blip_tiny_a" / "img0_80x56.png").string()},
        "only Florence-2 models take a task");
}

TEST_CASE("vkcap info describes a Florence-2 directory (DaViT stages, BART sizes) and --load loads it") {
  TempDir dir;
  const RunResult r = run_vkcap({"info", kModelA.string(), "--json", "--load"}, dir.path);
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  CHECK(j["architecture"] == "Florence2ForConditionalGeneration (davit + bart)");
  CHECK(j["vision"]["dims"] == json::parse("[16, 32, 48, 64]"));
  CHECK(j["text"]["hidden_size"] == 32);
  CHECK(j["text"]["encoder_layers"] == 2);
  CHECK(j["text"]["vocab_size"] == 51289);
  CHECK(j["parameters_loaded"] == j["parameters"]);
}
