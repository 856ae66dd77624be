#include "model/model_family.h"

#include "model/blip_family.h"
#include "model/florence2_family.h"
#include "model/vit_gpt2_family.h"
#include "util/error.h"

namespace vkcap::model {

ModelFamily::ModelFamily(const FamilySources& sources)
    : ctx_(sources.ctx),
      dir_(sources.dir),
      config_(sources.config),
      tokenizer_(sources.tokenizer),
      preprocess_(sources.preprocess) {}

TaskPrompt ModelFamily::task_prompt(const std::string& task, const std::string& task_text) const {
  if (!task.empty() || !task_text.empty())
    throw InvalidArgumentError("task: only Florence-2 models take a task (this is " + architecture_name() + ")");
  return {};
}

std::optional<TaskAnswer> ModelFamily::answer(std::span<const int32_t>, const std::string&, int, int) const {
  return std::nullopt;
}

void ModelFamily::check_processor_size(const image::Image& image, int width, int height, const std::string& why) const {
  const auto [processed_width, processed_height] = image::preprocess_output_size(image, preprocess_);
  if (processed_width != width || processed_height != height)
    throw Error(dir_.string() + "/preprocessor_config.json: resizes this image to " + std::to_string(processed_width) +
                "x" + std::to_string(processed_height) + why);
}

std::unique_ptr<ModelFamily> make_model_family(const FamilySources& sources) {
  switch (sources.config.arch) {
    case Architecture::Blip: return std::make_unique<BlipFamily>(sources);
    case Architecture::VitGpt2: return std::make_unique<VitGpt2Family>(sources);
    case Architecture::Florence2: return std::make_unique<Florence2Family>(sources);
  }
  throw Error("internal: unknown architecture");
}

}  // namespace vkcap::model
