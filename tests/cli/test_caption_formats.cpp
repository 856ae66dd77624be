// vkcap caption end to end on the golden fixtures: every output format parsed back gives
// transformers' greedy tokens, stdout holds only results, batches change nothing.
#include <doctest/doctest.h>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field), field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

std::vector<int32_t> ints(const std::string& text) {
  std::vector<int32_t> v;
  std::istringstream in(text);
  for (int32_t x; in >> x;) v.push_back(x);
  return v;
}

// Both fixture images, named explicitly, greedy with max_new_tokens 12 (as expected.json's).
std::vector<std::string> caption_args(const std::string& fixture, const std::string& format) {
  std::vector<std::string> args = {"caption", "-m", (kFixtures / fixture).string(), "-n", "12", "-f", format};
  for (const std::string& image : fixture_images(fixture)) args.push_back((kFixtures / fixture / image).string());
  return args;
}

}  // namespace

TEST_CASE("jsonl and json records carry transformers' greedy tokens, text and generation details") {
  for (const std::string fixture : {"blip_tiny_a", "vitgpt2_tiny_a"}) {
    CAPTURE(fixture);
    TempDir dir;
    const auto images = fixture_images(fixture);
    for (const std::string format : {"jsonl", "json"}) {
      CAPTURE(format);
      RunResult r = run_vkcap(caption_args(fixture, format), dir.path);
      REQUIRE(r.exit_code == 0);
      std::vector<nlohmann::json> records;
      if (format == "jsonl") {
        records = parse_jsonl(r.out);
      } else {
        for (const auto& j : nlohmann::json::parse(r.out)) records.push_back(j);
      }
      REQUIRE(records.size() == images.size());
      for (size_t i = 0; i < images.size(); ++i) {
        const auto& j = records[i];
        CHECK(j["image"] == (kFixtures / fixture / images[i]).string());
        CHECK(j["tokens"].get<std::vector<int32_t>>() == greedy_tokens(fixture, images[i]));
        CHECK(j["caption"] == greedy_text(fixture, images[i]));
        CHECK((j["finish_reason"] == "eos" || j["finish_reason"] == "length"));
        CHECK(j["mean_logprob"].get<double>() <= 0.0);
        CHECK(j["generation"]["num_beams"] == 1);
        CHECK(j["generation"]["max_new_tokens"] == 12);
        CHECK(j["model"] == (kFixtures / fixture).string());
        CHECK(j["timings"]["encode_ms"].get<double>() >= 0.0);
      }
    }
  }
}

TEST_CASE("csv, tsv and txt parse back to the same captions; stdout holds nothing else") {
  const std::string fixture = "blip_tiny_a";
  const auto images = fixture_images(fixture);
  TempDir dir;

  RunResult csv = run_vkcap(caption_args(fixture, "csv"), dir.path);
  REQUIRE(csv.exit_code == 0);
  auto rows = lines_of(csv.out);
  REQUIRE(rows.size() == images.size() + 1);
  CHECK(rows[0] == "image,caption,tokens,finish_reason,score,error,model,settings");
  for (size_t i = 0; i < images.size(); ++i) {
    auto f = parse_csv_line(rows[i + 1]);
    REQUIRE(f.size() == 8);
    CHECK(f[0] == (kFixtures / fixture / images[i]).string());
    CHECK(f[1] == greedy_text(fixture, images[i]));
    CHECK(ints(f[2]) == greedy_tokens(fixture, images[i]));
    CHECK(f[5] == "");
    CHECK(f[6] == (kFixtures / fixture).string());
    CHECK(nlohmann::json::parse(f[7])["max_new_tokens"] == 12);
  }

  RunResult tsv = run_vkcap(caption_args(fixture, "tsv"), dir.path);
  REQUIRE(tsv.exit_code == 0);
  rows = lines_of(tsv.out);
  REQUIRE(rows.size() == images.size());
  for (size_t i = 0; i < images.size(); ++i)
    CHECK(rows[i] == (kFixtures / fixture / images[i]).string() + "\t" + greedy_text(fixture, images[i]));
  // Notices and the timing summary go to stderr only.
  CHECK(tsv.err.find("images/s") != std::string::npos);
  CHECK(tsv.out.find("images/s") == std::string::npos);

  RunResult txt = run_vkcap(caption_args(fixture, "txt"), dir.path);
  REQUIRE(txt.exit_code == 0);
  rows = lines_of(txt.out);
  REQUIRE(rows.size() == images.size());
  for (size_t i = 0; i < images.size(); ++i) CHECK(rows[i] == greedy_text(fixture, images[i]));
}

TEST_CASE("--batch 2, 3 and 7 give the same captions as --batch 1 (greedy and beam)") {
  const std::string fixture = "blip_tiny_b";
  TempDir dir;
  // Seven images (both fixture images, several times): batches of 2 (6 decoder rows with 3 beams),
  // 3, and one of 7 (7 rows greedy): on a CPU device 5-8 rows are host products, fewer shaders.
  std::vector<std::string> names;
  const auto images = fixture_images(fixture);
  for (int i = 0; i < 7; ++i) {
    const std::string name = "im" + std::to_string(i) + ".png";
    fs::copy_file(kFixtures / fixture / images[i % images.size()], dir / name);
    names.push_back(name);
  }
  for (const std::string beams : {"1", "3"}) {
    CAPTURE(beams);
    std::vector<nlohmann::json> by_batch[4];
    int k = 0;
    for (const std::string batch : {"1", "2", "3", "7"}) {
      RunResult r = run_vkcap({"caption", "-m", (kFixtures / fixture).string(), "-n", "12", "--beams", beams, "-b",
                               batch, "-f", "jsonl", dir.path.string()},
                              dir.path);
      REQUIRE(r.exit_code == 0);
      by_batch[k++] = parse_jsonl(r.out);
    }
    for (const auto& run : by_batch) REQUIRE(run.size() == 7);
    for (int b = 1; b < 4; ++b)
      for (size_t i = 0; i < 7; ++i) {
        CHECK(by_batch[0][i]["image"] == by_batch[b][i]["image"]);
        CHECK(by_batch[0][i]["tokens"] == by_batch[b][i]["tokens"]);
      }
    if (beams == "1")
      for (int b = 1; b < 4; ++b)
        for (size_t i = 0; i < 7; ++i)
          CHECK(by_batch[b][i]["tokens"].get<std::vector<int32_t>>() ==
                greedy_tokens(fixture, images[i % images.size()]));
  }
}

TEST_CASE("presets set generation settings and explicit flags override them") {
  const std::string fixture = "blip_tiny_a";
  TempDir dir;
  const std::string image = (kFixtures / fixture / fixture_images(fixture)[0]).string();
  RunResult card = run_vkcap({"caption", "-m", (kFixtures / fixture).string(), "-p", "card", "-f", "jsonl", image}, dir.path);
  REQUIRE(card.exit_code == 0);
  auto j = parse_jsonl(card.out).at(0);
  CHECK(j["generation"]["num_beams"] == 3);
  CHECK(j["generation"]["max_length"] == 20);
  CHECK(j["generation"]["min_length"] == 5);
  CHECK(j.contains("sequence_score"));

  RunResult quality = run_vkcap({"caption", "-m", (kFixtures / fixture).string(), "--preset", "quality", "--beams", "2",
                                 "-f", "jsonl", image},
                                dir.path);
  REQUIRE(quality.exit_code == 0);
  j = parse_jsonl(quality.out).at(0);
  CHECK(j["generation"]["num_beams"] == 2);  // the flag wins
  CHECK(j["generation"]["no_repeat_ngram_size"] == 3);
  CHECK(j["generation"]["max_new_tokens"] == 40);

  // hf is the default and gives the parity tokens.
  RunResult hf = run_vkcap({"caption", "-m", (kFixtures / fixture).string(), "--preset", "hf", "-n", "12", "-f", "jsonl", image},
                           dir.path);
  REQUIRE(hf.exit_code == 0);
  CHECK(parse_jsonl(hf.out).at(0)["tokens"].get<std::vector<int32_t>>() ==
        greedy_tokens(fixture, fixture_images(fixture)[0]));
}

TEST_CASE("usage errors exit with 2 and say why on stderr") {
  TempDir dir;
  const std::string model = (kFixtures / "blip_tiny_a").string();
  const std::string image = (kFixtures / "blip_tiny_a" / "img0_80x56.png").string();
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"caption", "--no-such-option", image},
                                             {"caption", "-m", model, "-f", "yaml", image},
                                             {"caption", "-m", model, "--preset", "fast", image},
                                             {"caption", "-m", model, "--existing", "merge", image},
                                             {"caption", "-m", model},
                                             {"caption", "-m", model, "--sample", "--temperature", "0", image}}) {
    RunResult r = run_vkcap(args, dir.path);
    CAPTURE(args.back());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(!r.err.empty());
  }
}

TEST_CASE("--help says that lengths count tokens") {
  TempDir dir;
  RunResult r = run_vkcap({"caption", "--help"}, dir.path);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("TOKENS") != std::string::npos);
  CHECK(r.out.find("--preset") != std::string::npos);
}

TEST_CASE("vkcap info reports the architecture, sizes and parameter count") {
  TempDir dir;
  RunResult r = run_vkcap({"info", (kFixtures / "vitgpt2_tiny_a").string(), "--json"}, dir.path);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["architecture"].get<std::string>().find("VisionEncoderDecoder") != std::string::npos);
  CHECK(j["vision"]["image_size"] == 32);
  CHECK(j["vision"]["patch_size"] == 8);
  CHECK(j["text"]["vocab_size"] == 280);
  CHECK(j["stored_dtype"] == "F32");
  CHECK(j["parameters"].get<uint64_t>() * 4 == j["stored_bytes"].get<uint64_t>());
  CHECK(j["estimated_device_bytes"]["f32"] == j["stored_bytes"]);

  RunResult loaded = run_vkcap({"info", (kFixtures / "blip_tiny_a").string(), "--json", "--load"}, dir.path);
  REQUIRE(loaded.exit_code == 0);
  auto k = nlohmann::json::parse(loaded.out);
  CHECK(k["architecture"] == "BlipForConditionalGeneration");
  // The weights are in device memory, or in host memory where OpenBLAS multiplies them.
  CHECK(k["device_bytes_after_load"].get<uint64_t>() + k["host_weight_bytes"].get<uint64_t>() >=
        k["estimated_device_bytes"]["f32"].get<uint64_t>());

  RunResult text = run_vkcap({"info", (kFixtures / "blip_tiny_a").string()}, dir.path);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("parameters") != std::string::npos);
}
