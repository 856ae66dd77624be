// `vkcap tokenize --task` on the real Florence-2 tokenizer files: task prompts encode to the
// processor's ids, and generated ids read back as the processor's post_process_generation.
#include <doctest/doctest.h>

#include <cmath>

#include "cli/cli_runner.h"

using namespace vkcap::test;
using nlohmann::json;

namespace {

const fs::path kTokenizerDir = kFixtures / "text" / "florence2";

json read_case_file(const std::string& name) { return json::parse(read_text(kFixtures / "text" / "cases" / name)); }

std::vector<std::string> decode_args(const std::string& task, const json& ids) {
  std::vector<std::string> args = {"tokenize", "-m", kTokenizerDir.string(), "--task", task, "--decode"};
  for (const auto& id : ids) args.push_back(std::to_string(id.get<int32_t>()));
  return args;
}

std::string size_arg(const json& size_wh) {
  return std::to_string(size_wh[0].get<int>()) + "x" + std::to_string(size_wh[1].get<int>());
}

// The processor's {"bboxes"|"quad_boxes": [...], "labels": [...]} against vkcap's regions.
void check_regions(const json& regions, const json& answer) {
  const bool quads = answer.contains("quad_boxes");
  const json& shapes = quads ? answer["quad_boxes"] : answer["bboxes"];
  REQUIRE(regions.size() == shapes.size());
  for (size_t k = 0; k < regions.size(); ++k) {
    CHECK(regions[k]["label"] == answer["labels"][k]);
    const json& points = regions[k][quads ? "quad" : "box"];
    REQUIRE(points.size() == shapes[k].size());
    for (size_t i = 0; i < points.size(); ++i) CHECK(std::fabs(points[i].get<double>() - shapes[k][i].get<double>()) < 1e-3);
  }
}

}  // namespace

TEST_CASE("tokenize --task encodes each golden task's prompt to the processor's ids") {
  const json expected = read_case_file("florence2_tiny_a.json");
  for (const auto& [key, record] : expected["images"][0]["tasks"].items()) {
    CAPTURE(key);
    const std::string token = key.substr(0, key.find('>') + 1), input = key.substr(token.size());
    TempDir dir;
    std::vector<std::string> args = {"tokenize", "-m", kTokenizerDir.string(), "--task", token};
    if (!input.empty()) args.push_back(input);
    const RunResult r = run_vkcap(args, dir.path);
    REQUIRE(r.exit_code == 0);
    const json out = json::parse(r.out);
    CHECK(out["ids"] == record["input_ids"]);
    CHECK(out["text"] == record["prompt"]);
    CHECK(out["task"] == token);
  }
  TempDir dir;
  const RunResult r = run_vkcap({"tokenize", "-m", kTokenizerDir.string(), "--task", "detailed-caption"}, dir.path);
  CHECK(json::parse(r.out)["ids"] == expected["images"][0]["tasks"]["<DETAILED_CAPTION>"]["input_ids"]);
}

TEST_CASE("tokenize --task --decode prints the processor's boxes, quads and text") {
  for (const json& c : read_case_file("florence2_postprocess.json")["cases"]) {
    const std::string task = c["task"];
    CAPTURE(task);
    TempDir dir;
    std::vector<std::string> args = decode_args(task, c["token_ids"]);
    args.insert(args.end(), {"--image-size", size_arg(c["image_size_wh"])});
    const RunResult r = run_vkcap(args, dir.path);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const json out = json::parse(r.out);
    CHECK(out["ids"] == c["token_ids"]);
    const json& answer = c["post_processed"][task];
    if (answer.is_string()) {
      CHECK(out["text"] == answer);
    } else {
      check_regions(out["regions"], answer);
    }
  }
}

TEST_CASE("tokenize --task --decode --slow-spacing reproduces the model goldens' post-processing") {
  const json expected = read_case_file("florence2_tiny_b.json");
  for (const json& image : expected["images"]) {
    for (const auto& [key, record] : image["tasks"].items()) {
      for (const char* mode : {"greedy", "card"}) {
        const std::string task = key.substr(0, key.find('>') + 1);
        CAPTURE(key);
        CAPTURE(mode);
        TempDir dir;
        std::vector<std::string> args = decode_args(task, record[mode]["sequence"]);
        args.insert(args.end(), {"--image-size", size_arg(image["size_wh"]), "--slow-spacing"});
        const RunResult r = run_vkcap(args, dir.path);
        REQUIRE(r.exit_code == 0);
        const json out = json::parse(r.out);
        const json& answer = record[mode]["post_processed"][task];
        if (answer.is_string()) {
          CHECK(out["text"] == answer);
        } else {
          check_regions(out["regions"], answer);
        }
      }
    }
  }
}

TEST_CASE("tokenize --task refuses bad input with one line naming the problem") {
  TempDir dir;
  auto error_of = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"tokenize", "-m", kTokenizerDir.string()});
    const RunResult r = run_vkcap(args, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(lines_of(r.err).size() == 1);
    return r.err;
  };
  CHECK(error_of({"--task", "od", "--decode", "2", "0", "2"}) ==
        "vkcap: --task od --decode: needs --image-size WIDTHxHEIGHT to place its regions\n");
  CHECK(error_of({"--task", "od", "--decode", "2", "--image-size", "640x"}) ==
        "vkcap: --image-size 640x: expected WIDTHxHEIGHT in pixels, like 640x480\n");
  CHECK(error_of({"--task", "phrase-grounding"}) ==
        "vkcap: Florence-2 task phrase-grounding needs an input text: a caption whose phrases to locate\n");
  CHECK(error_of({"--task", "caption", "a dog"}) == "vkcap: Florence-2 task caption takes no input text (got \"a dog\")\n");
  CHECK(error_of({"--task", "captions"}).starts_with("vkcap: --task captions: not a Florence-2 task (tasks: ocr, "));
  const RunResult gpt2 = run_vkcap({"tokenize", "-m", (kFixtures / "text" / "gpt2").string(), "--task", "od"}, dir.path);
  CHECK(gpt2.exit_code == 1);
  CHECK(gpt2.err.find("has no Florence-2 tokenizer (no <loc_0> token)") != std::string::npos);
}
