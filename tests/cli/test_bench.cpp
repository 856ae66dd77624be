// `vkcap bench model` on the bundled model (small enough for a test; the full-size numbers in
// docs/performance.md come from the same command on the hub configs): every figure it quotes is
// present, positive and consistent. Timings are not asserted: speed is a benchmark, not a test.
#include <doctest/doctest.h>

#include "cli/cli_runner.h"

using namespace vkcap::test;

TEST_CASE("bench model --json reports stages, batches and the per-token fixed cost") {
  TempDir dir;
  const std::string model = std::string(VKCAP_SOURCE_DIR) + "/assets/models/vkcap-shapes";
  RunResult r = run_vkcap({"bench", "model", model, "--runs", "1", "--new-tokens", "4", "--beams", "1", "2",
                           "--batch", "1", "3", "--json"},
                          dir.path);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 1);
  const nlohmann::json j = nlohmann::json::parse(lines[0]);
  CHECK(j["parameters"] == 1751847);
  CHECK(j["new_tokens"] == 4);
  for (const char* search : {"greedy", "beam2"}) {
    CAPTURE(search);
    const auto& s = j.at(search);
    CHECK(s["encoder_ms"].get<double>() > 0);
    CHECK(s["encoder_gflops"].get<double>() > 0);
    CHECK(s["decode_ms_per_token"].get<double>() > 0);
    CHECK(s["total_ms"].get<double>() >= s["encoder_ms"].get<double>());
    CHECK(s["runs_total_ms"].size() == 1);
  }
  REQUIRE(j["batches"].size() == 2);
  CHECK(j["batches"][0]["batch"] == 1);
  CHECK(j["batches"][1]["batch"] == 3);
  for (const auto& b : j["batches"])
    CHECK(b["images_per_s"].get<double>() == doctest::Approx(b["batch"].get<double>() * 1000 / b["total_ms"].get<double>()));
  CHECK(j["submit_roundtrip_ms"].get<double>() > 0);
  CHECK(j["peak_rss_mb"].get<double>() > 0);
  CHECK(j["device_memory_mb"].get<double>() > 0);
}

TEST_CASE("bench model records its n-gram rule and refuses --task for a model without tasks") {
  TempDir dir;
  const std::string model = std::string(VKCAP_SOURCE_DIR) + "/assets/models/vkcap-shapes";
  RunResult r = run_vkcap({"bench", "model", model, "--runs", "1", "--new-tokens", "4", "--beams", "1",
                           "--no-repeat-ngram", "2", "--json"},
                          dir.path);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(lines_of(r.out).at(0));
  CHECK(j.at("no_repeat_ngram") == 2);
  CHECK_FALSE(j.contains("task"));  // only families with tasks record one
  CHECK(j.at("load_average").get<double>() >= 0);
  RunResult refused = run_vkcap({"bench", "model", model, "--runs", "1", "--task", "ocr"}, dir.path);
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("only Florence-2 models take a task") != std::string::npos);
}

TEST_CASE("bench model --profile prints the per-kernel table on stderr and keeps stdout JSON") {
  TempDir dir;
  const std::string model = std::string(VKCAP_SOURCE_DIR) + "/assets/models/vkcap-shapes";
  RunResult r = run_vkcap({"bench", "model", model, "--runs", "1", "--new-tokens", "2", "--beams", "1", "--json",
                           "--profile"},
                          dir.path);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(lines_of(r.out).size() == 1);
  CHECK(nlohmann::json::parse(lines_of(r.out)[0]).contains("greedy"));  // stdout stays one parseable record
  CHECK(r.err.find("calls") != std::string::npos);
  CHECK(r.err.find("attention_cpu") != std::string::npos);
  // The decoder's products: the Cpu shaders, or on a CPU device the host's (kernels/matvec_host.h).
  CHECK((r.err.find("linear_cpu") != std::string::npos || r.err.find("host_matvec") != std::string::npos));
  // One table per stage: patches are cut only for the image, tokens embedded only while decoding.
  const size_t image = r.err.find("image stage"), decoding = r.err.find("decoding"), all = r.err.find("all runs");
  REQUIRE(image < decoding);
  REQUIRE(decoding < all);
  REQUIRE(all != std::string::npos);
  const std::string image_table = r.err.substr(image, decoding - image);
  const std::string decode_table = r.err.substr(decoding, all - decoding);
  CHECK(image_table.find("im2col") != std::string::npos);
  CHECK(image_table.find("embedding") == std::string::npos);
  CHECK(decode_table.find("embedding") != std::string::npos);
  CHECK(decode_table.find("im2col") == std::string::npos);
}

TEST_CASE("bench kernels --only attention times every attention shape, model layouts included, and nothing else") {
  TempDir dir;
  RunResult r = run_vkcap({"bench", "kernels", "--only", "attention", "--json", "--repeats", "5"}, dir.path);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 11);  // the triad, then 10 attention shapes
  const nlohmann::json triad = nlohmann::json::parse(lines[0]);
  CHECK(triad["kernel"] == "triad");
  CHECK(triad["gbps"].get<double>() > 0);
  int fused = 0, layered = 0, causal = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const nlohmann::json j = nlohmann::json::parse(lines[i]);
    CAPTURE(lines[i]);
    CHECK(j["kernel"].get<std::string>().rfind("attention_", 0) == 0);
    CHECK(j["us"].get<double>() > 0);
    CHECK(j["gflops"].get<double>() > 0);
    const auto& shape = j["shape"];
    CHECK(shape["heads"] == 12);
    CHECK(shape["head_dim"] == 64);
    if (shape.value("layout", "") == "fused qkv") ++fused;
    if (shape.value("layers", 1) == 12) ++layered;
    if (shape["mask"] == "causal") ++causal;
  }
  CHECK(fused == 1);
  CHECK(layered == 2);
  CHECK(causal == 4);
}

TEST_CASE("bench kernels --only rejects an unknown part") {
  TempDir dir;
  RunResult r = run_vkcap({"bench", "kernels", "--only", "softmax"}, dir.path);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("--only") != std::string::npos);
  CHECK(r.out.empty());
}
