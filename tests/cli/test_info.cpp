// `vkcap info` on a model directory that cannot caption (reported incomplete, exit 1), and the
// device memory --load reports: the model's buffers, not the allocator's reserved blocks.
#include <doctest/doctest.h>

#include "cli/cli_runner.h"

using namespace vkcap::test;

namespace {

const fs::path kModel = kFixtures / "blip_tiny_a";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("vkcap info: a model that cannot caption is reported incomplete (exit 1); --load counts its buffers") {
  TempDir dir;
  const fs::path incomplete = copy_model_without(kModel, dir / "incomplete", {"vocab.txt", "preprocessor_config.json"});
  RunResult r = run_vkcap({"info", incomplete.string(), "--json"}, dir.path);
  CHECK(r.exit_code == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["complete"] == false);
  REQUIRE(j["missing"].size() == 2);
  CHECK(contains(j["missing"][0].get<std::string>(), "no tokenizer"));
  r = run_vkcap({"info", incomplete.string()}, dir.path);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "incomplete    cannot caption: no tokenizer"));

  r = run_vkcap({"info", kModel.string(), "--json", "--load", "-q"}, dir.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  j = nlohmann::json::parse(r.out);
  CHECK(j["complete"] == true);
  const uint64_t weights = j["estimated_device_bytes"]["f32"].get<uint64_t>();
  // The weights are in device memory, or in host memory where OpenBLAS multiplies them.
  const uint64_t loaded = j["device_bytes_after_load"].get<uint64_t>() + j["host_weight_bytes"].get<uint64_t>();
  // The tiny model's buffers: its weights and small working buffers, far from the 256 MiB
  // memory block the allocator reserves.
  CHECK(loaded >= weights);
  CHECK(loaded < 16 * weights);
  CHECK(j["device_bytes_reserved"].get<uint64_t>() >= j["device_bytes_after_load"].get<uint64_t>());
}
