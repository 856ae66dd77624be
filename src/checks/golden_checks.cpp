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

namespace {

// One greedy caption the golden pins: its image, Florence-2's task (empty for the others), the
// generation length and the ids transformers generated.
struct GoldenCaption {
  std::string file;
  std::string task, task_text;
  int max_new_tokens = 0;
  std::vector<int32_t> sequence;
};

// BLIP and ViT-GPT2 goldens keep one greedy run per image, with its generate() arguments;
// Florence-2's keep one per task (token, then the task's text), all with max_new_tokens 16
// (its expected.json's generation_notes).
std::vector<GoldenCaption> golden_captions(const nlohmann::json& expected) {
  std::vector<GoldenCaption> out;
  for (const nlohmann::json& image : expected["images"]) {
    const std::string file = image["file"].get<std::string>();
    if (image.contains("greedy")) {
      const nlohmann::json& greedy = image["greedy"];
      out.push_back({file, "", "", greedy["kwargs"]["max_new_tokens"].get<int>(),
                     greedy["sequence"].get<std::vector<int32_t>>()});
      continue;
    }
    for (const auto& task : image["tasks"].items()) {
      const std::string& prompt = task.key();  // "<OD>", "<CAPTION_TO_PHRASE_GROUNDING>a red car"
      const size_t end = prompt.find('>') + 1;
      out.push_back({file, prompt.substr(0, end), prompt.substr(end), 16,
                     task.value()["greedy"]["sequence"].get<std::vector<int32_t>>()});
    }
  }
  return out;
}

}  // namespace

std::vector<CheckResult> check_golden(const fs::path& fixture, CaptionerOptions base, const GoldenSetting& setting,
                                      const std::string& perturb) {
  std::ifstream in(fixture / "expected.json");
  const nlohmann::json expected = nlohmann::json::parse(in);
  CaptionerOptions options = std::move(base);
  options.kernels = setting.kernels;
  options.weight_fetch = setting.weight_fetch;
  Captioner captioner(fixture.string(), options);
  std::vector<CheckResult> out;
  for (const GoldenCaption& caption : golden_captions(expected)) {
    CheckResult r;
    r.family = "golden";
    r.variant = setting.name() + " f32";
    r.shape = fixture.filename().string() + " " + caption.file +
              (caption.task.empty() ? "" : " " + caption.task + caption.task_text) + " greedy";
    GenerationOptions generation;
    generation.max_new_tokens = caption.max_new_tokens;
    generation.num_beams = 1;
    if (!caption.task.empty()) {
      generation.no_repeat_ngram_size = 0;  // the golden's greedy run overrides the checkpoint's 3
      generation.task = caption.task;
      generation.task_text = caption.task_text;
    }
    std::vector<int32_t> got = captioner.caption(fixture / caption.file, generation).tokens;
    if (perturb == r.family && !got.empty()) got.back() += 1;
    const std::vector<int32_t>& want = caption.sequence;
    size_t same = 0;
    while (same < got.size() && same < want.size() && got[same] == want[same]) ++same;
    r.require(got == want, "token ids differ from position " + std::to_string(same) + " (" +
                               std::to_string(got.size()) + " generated, " + std::to_string(want.size()) + " expected)");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vkcap::checks
