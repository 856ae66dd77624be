#include "cli/presets.h"

#include "util/error.h"

namespace vkcap::cli {

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"hf", "card", "quality"};
  return names;
}

void apply_preset(const std::string& name, Architecture arch, GenerationConfig& config) {
  if (name == "hf") return;  // GenerationConfig's defaults are transformers'
  if (name == "card") {
    if (arch == Architecture::Blip) {
      config.num_beams = 3;
      config.max_length = 20;
      config.min_length = 5;
    } else {
      config.num_beams = 4;
      config.max_length = 16;
    }
    return;
  }
  if (name == "quality") {
    config.num_beams = 5;
    config.max_new_tokens = 40;
    config.min_new_tokens = 5;
    config.no_repeat_ngram_size = 3;
    config.repetition_penalty = 1.2;
    return;
  }
  throw Error("--preset '" + name + "': expected hf, card or quality");
}

}  // namespace vkcap::cli
