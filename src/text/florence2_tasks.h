#pragma once
// Florence-2's tasks: a task token such as <CAPTION> stands for a fixed English prompt, which is
// what the model actually reads (Florence2Processor replaces the token before tokenizing). Some
// tasks take an input text (a phrase, or a region as four <loc_N> tokens) inside the prompt.
// Each task also says how its answer is read back (see florence2_postprocess.h).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vkcap::text {

class Tokenizer;

// The processor's post-processing types, named as there.
enum class Florence2Answer {
  kPureText,                          // the text itself
  kOcr,                               // text + quadrilateral per line
  kDescriptionWithBboxes,             // label + box(es)
  kPhraseGrounding,                   // as above, generic phrases ("it", "the image") dropped
  kPolygons,                          // label + polygon(s)
  kDescriptionWithBboxesOrPolygons,   // polygons if the answer has <poly>, else boxes
  kBboxes,                            // boxes without labels
};

struct Florence2Task {
  std::string_view token;     // "<CAPTION>"
  std::string_view cli_name;  // "caption"
  // The prompt; for tasks with an input, the text before and after it.
  std::string_view prompt, prompt_after_input;
  bool takes_input;
  Florence2Answer answer;
  std::string_view input_hint;  // what the input is, for help and errors ("" if none)
};

// All fifteen tasks of Microsoft's processor.
std::span<const Florence2Task> florence2_tasks();

// By CLI name ("detailed-caption", "phrase-grounding") or task token ("<DETAILED_CAPTION>");
// nullptr if neither.
const Florence2Task* find_florence2_task(std::string_view name);

// The prompt the model reads. Throws vkcap::Error when a task that takes an input gets an empty
// one, or a task that takes none gets one (the processor asserts on the latter; an empty
// phrase to ground is refused here as a mistake rather than sent to the model).
std::string florence2_prompt(const Florence2Task& task, std::string_view input);

// The processor's _construct_prompts on free text: a text holding a task token becomes that
// task's prompt ("<CAPTION_TO_PHRASE_GROUNDING>a red car" -> "Locate the phrases in the caption:
// a red car"); other text is kept as it is. Sets *task (if given) to the task found or nullptr.
std::string construct_florence2_prompt(std::string_view text, const Florence2Task** task = nullptr);

// processor(text=prompt)["input_ids"]: <s> prompt </s>.
std::vector<int32_t> florence2_prompt_ids(const Tokenizer& tokenizer, const Florence2Task& task,
                                          std::string_view input);

// How post_process_generation reads a task's answer: by its table, pure text for any other task.
Florence2Answer florence2_answer_type(std::string_view task_token);

}  // namespace vkcap::text
