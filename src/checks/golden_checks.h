#pragma once
// End-to-end parity on small embedded goldens: tiny BLIP, ViT-GPT2 and Florence-2 checkpoints
// with the token ids transformers generated for their images (expected.json; Florence-2: one
// greedy run per task). Greedy generation on the device must give exactly those ids.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vkcap/captioner.h"

#include "checks/check_result.h"

namespace vkcap::checks {

// The fixture directories in `root` (each with config.json and expected.json), sorted by name.
std::vector<std::filesystem::path> golden_fixtures(const std::filesystem::path& root);

// One kernel configuration of the whole model, as the Captioner takes it.
struct GoldenSetting {
  std::string kernels;       // "gpu" or "cpu"
  std::string weight_fetch;  // "" (the device's), "texels" or "addresses"; cpu kernels only
  std::string name() const;  // as in CheckResult::variant: "gpu", "cpu texels", ...
};

// Greedy captions of every image of `fixture` with `base` (device, validation, caches...) and
// `setting`'s kernels: one result per image (Florence-2: per image and task), its token ids
// compared exactly with expected.json.
// perturb == "golden" shifts a token (the selftest's fault switch).
std::vector<CheckResult> check_golden(const std::filesystem::path& fixture, CaptionerOptions base,
                                      const GoldenSetting& setting, const std::string& perturb);

}  // namespace vkcap::checks
