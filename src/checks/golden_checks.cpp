#include "checks/golden_checks.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "vkcap/captioner.h"

namespace vkcap::checks {

namespace fs = std::filesystem;

std::vector<fs::path> golden_fixtures(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec))
    if (fs::is_regular_file(e.path() / "expected.json", ec) && fs::is_regular_file(e.path() / "config.json", ec))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string GoldenSetting::name() const { return weight_fetch.empty() ? kernels : kernels + " " + weight_fetch; }

std::vector<CheckResult> check_golden(const fs::path& fixture, CaptionerOptions base, const GoldenSetting& setting,
                                      const std::string& perturb) {
  std::ifstream in(fixture / "expected.json");
  const nlohmann::json expected = nlohmann::json::parse(in);
  CaptionerOptions options = std::move(base);
  options.kernels = setting.kernels;
  options.weight_fetch = setting.weight_fetch;
  Captioner captioner(fixture.string(), options);
  std::vector<CheckResult> out;
  for (const nlohmann::json& image : expected["images"]) {
    const nlohmann::json& greedy = image["greedy"];
    CheckResult r;
    r.family = "golden";
    r.variant = setting.name() + " f32";
    r.shape = fixture.filename().string() + " " + image["file"].get<std::string>() + " greedy";
    GenerationOptions generation;
    generation.max_new_tokens = greedy["kwargs"]["max_new_tokens"].get<int>();
    generation.num_beams = 1;
    std::vector<int32_t> got = captioner.caption(fixture / image["file"].get<std::string>(), generation).tokens;
    if (perturb == r.family && !got.empty()) got.back() += 1;
    const std::vector<int32_t> want = greedy["sequence"].get<std::vector<int32_t>>();
    size_t same = 0;
    while (same < got.size() && same < want.size() && got[same] == want[same]) ++same;
    r.require(got == want, "token ids differ from position " + std::to_string(same) + " (" +
                               std::to_string(got.size()) + " generated, " + std::to_string(want.size()) + " expected)");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vkcap::checks
