#include "text/florence2_tasks.h"

#include "text/tokenizer.h"
#include "util/error.h"

namespace vkcap::text {
namespace {

using A = Florence2Answer;

// The processor's two tables, in its order (the order decides which token wins in free text):
// first the tasks without an input, then those with one.
constexpr Florence2Task kTasks[] = {
    {"<OCR>", "ocr", "What is the text in the image?", "", false, A::kPureText, ""},
    {"<OCR_WITH_REGION>", "ocr-with-region", "What is the text in the image, with regions?", "", false, A::kOcr, ""},
    {"<CAPTION>", "caption", "What does the image describe?", "", false, A::kPureText, ""},
    {"<DETAILED_CAPTION>", "detailed-caption", "Describe in detail what is shown in the image.", "", false,
     A::kPureText, ""},
    {"<MORE_DETAILED_CAPTION>", "more-detailed-caption", "Describe with a paragraph what is shown in the image.", "",
     false, A::kPureText, ""},
    {"<OD>", "od", "Locate the objects with category name in the image.", "", false, A::kDescriptionWithBboxes, ""},
    {"<DENSE_REGION_CAPTION>", "dense-region-caption", "Locate the objects in the image, with their descriptions.",
     "", false, A::kDescriptionWithBboxes, ""},
    {"<REGION_PROPOSAL>", "region-proposal", "Locate the region proposals in the image.", "", false, A::kBboxes, ""},
    {"<CAPTION_TO_PHRASE_GROUNDING>", "phrase-grounding", "Locate the phrases in the caption: ", "", true,
     A::kPhraseGrounding, "a caption whose phrases to locate"},
    {"<REFERRING_EXPRESSION_SEGMENTATION>", "referring-expression-segmentation", "Locate ", " in the image with mask",
     true, A::kPolygons, "an expression naming the object to outline"},
    {"<REGION_TO_SEGMENTATION>", "region-to-segmentation", "What is the polygon mask of region ", "", true,
     A::kPolygons, "a region as <loc_x1><loc_y1><loc_x2><loc_y2>"},
    {"<OPEN_VOCABULARY_DETECTION>", "open-vocabulary-detection", "Locate ", " in the image.", true,
     A::kDescriptionWithBboxesOrPolygons, "the name of what to find"},
    {"<REGION_TO_CATEGORY>", "region-to-category", "What is the region ", "?", true, A::kPureText,
     "a region as <loc_x1><loc_y1><loc_x2><loc_y2>"},
    {"<REGION_TO_DESCRIPTION>", "region-to-description", "What does the region ", " describe?", true, A::kPureText,
     "a region as <loc_x1><loc_y1><loc_x2><loc_y2>"},
    {"<REGION_TO_OCR>", "region-to-ocr", "What text is in the region ", "?", true, A::kPureText,
     "a region as <loc_x1><loc_y1><loc_x2><loc_y2>"},
};

std::string replace_all(std::string_view text, std::string_view from) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
    out.append(text.substr(pos, hit - pos));
  }
  out.append(text.substr(pos));
  return out;
}

std::string with_input(const Florence2Task& task, std::string_view input) {
  std::string prompt(task.prompt);
  prompt.append(input);
  prompt.append(task.prompt_after_input);
  return prompt;
}

}  // namespace

std::span<const Florence2Task> florence2_tasks() { return kTasks; }

const Florence2Task* find_florence2_task(std::string_view name) {
  for (const Florence2Task& task : kTasks) {
    if (name == task.token || name == task.cli_name) return &task;
  }
  return nullptr;
}

std::string florence2_prompt(const Florence2Task& task, std::string_view input) {
  if (!task.takes_input) {
    if (!input.empty()) {
      throw Error("Florence-2 task " + std::string(task.cli_name) + " takes no input text (got \"" +
                  std::string(input.substr(0, 80)) + "\")");
    }
    return std::string(task.prompt);
  }
  if (input.empty()) {
    throw Error("Florence-2 task " + std::string(task.cli_name) + " needs an input text: " +
                std::string(task.input_hint));
  }
  return with_input(task, input);
}

std::string construct_florence2_prompt(std::string_view text, const Florence2Task** found) {
  if (found) *found = nullptr;
  std::string prompt(text);
  for (const Florence2Task& task : kTasks) {
    if (task.takes_input || prompt.find(task.token) == std::string::npos) continue;
    if (prompt != task.token) {
      throw Error("Florence-2 task token " + std::string(task.token) +
                  " must be the whole text, it takes no input (got \"" + prompt.substr(0, 80) + "\")");
    }
    if (found) *found = &task;
    prompt = task.prompt;
    break;
  }
  for (const Florence2Task& task : kTasks) {
    if (!task.takes_input || prompt.find(task.token) == std::string::npos) continue;
    if (found) *found = &task;
    prompt = with_input(task, replace_all(prompt, task.token));
    break;
  }
  return prompt;
}

std::vector<int32_t> florence2_prompt_ids(const Tokenizer& tokenizer, const Florence2Task& task,
                                          std::string_view input) {
  return tokenizer.encode(florence2_prompt(task, input), true);
}

Florence2Answer florence2_answer_type(std::string_view task_token) {
  for (const Florence2Task& task : kTasks) {
    if (task.token == task_token) return task.answer;
  }
  return Florence2Answer::kPureText;
}

}  // namespace vkcap::text
