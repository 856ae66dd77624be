// Florence-2's task table: names, prompts, and the prompt ids the processor gave in the goldens.
#include <doctest/doctest.h>

#include <set>

#include "text/florence2_tasks.h"
#include "text/tokenizer.h"
#include "text_fixtures.h"
#include "util/error.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const vkcap::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every task is found by its token and by its command-line name") {
  std::set<std::string_view> names;
  for (const Florence2Task& task : florence2_tasks()) {
    CHECK(find_florence2_task(task.token) == &task);
    CHECK(find_florence2_task(task.cli_name) == &task);
    CHECK(names.insert(task.cli_name).second);
    CHECK(task.takes_input == !task.input_hint.empty());
  }
  CHECK(florence2_tasks().size() == 15);
  CHECK(find_florence2_task("phrase-grounding")->token == "<CAPTION_TO_PHRASE_GROUNDING>");
  CHECK(find_florence2_task("<caption>") == nullptr);
  CHECK(find_florence2_task("captions") == nullptr);
}

TEST_CASE("task prompts are the processor's") {
  CHECK(florence2_prompt(*find_florence2_task("caption"), "") == "What does the image describe?");
  CHECK(florence2_prompt(*find_florence2_task("more-detailed-caption"), "") ==
        "Describe with a paragraph what is shown in the image.");
  CHECK(florence2_prompt(*find_florence2_task("ocr-with-region"), "") == "What is the text in the image, with regions?");
  CHECK(florence2_prompt(*find_florence2_task("dense-region-caption"), "") ==
        "Locate the objects in the image, with their descriptions.");
  CHECK(florence2_prompt(*find_florence2_task("region-proposal"), "") == "Locate the region proposals in the image.");
  CHECK(florence2_prompt(*find_florence2_task("open-vocabulary-detection"), "a dog") == "Locate a dog in the image.");
  CHECK(florence2_prompt(*find_florence2_task("referring-expression-segmentation"), "the cat") ==
        "Locate the cat in the image with mask");
  const std::string region = "<loc_1><loc_2><loc_3><loc_4>";
  CHECK(florence2_prompt(*find_florence2_task("region-to-segmentation"), region) ==
        "What is the polygon mask of region " + region);
  CHECK(florence2_prompt(*find_florence2_task("region-to-category"), region) == "What is the region " + region + "?");
  CHECK(florence2_prompt(*find_florence2_task("region-to-description"), region) ==
        "What does the region " + region + " describe?");
  CHECK(florence2_prompt(*find_florence2_task("region-to-ocr"), region) == "What text is in the region " + region + "?");
}

TEST_CASE("prompt ids equal the processor's for every task in the model goldens") {
  auto tokenizer = load_tokenizer(text_fixtures() / "florence2");
  size_t checked = 0;
  for (const char* fixture : {"florence2_tiny_a", "florence2_tiny_b"}) {
    const auto expected = read_json(text_fixtures() / "cases" / (std::string(fixture) + ".json"));
    for (const auto& image : expected["images"]) {
      for (const auto& [key, record] : image["tasks"].items()) {
        CAPTURE(key);
        const Florence2Task* task = nullptr;
        CHECK(construct_florence2_prompt(key, &task) == record["prompt"].get<std::string>());
        REQUIRE(task != nullptr);
        const std::string input = key.substr(task->token.size());
        CHECK(florence2_prompt_ids(*tokenizer, *task, input) == ids_of(record["input_ids"]));
        ++checked;
      }
    }
  }
  CHECK(checked == 16);
  // The region tasks' input is location tokens, each one id.
  const auto ids = florence2_prompt_ids(*tokenizer, *find_florence2_task("region-to-category"),
                                        "<loc_10><loc_20><loc_30><loc_40>");
  CHECK(std::vector<int32_t>(ids.end() - 6, ids.end()) == std::vector<int32_t>{50279, 50289, 50299, 50309, 116, 2});
}

TEST_CASE("free text without a task token is its own prompt") {
  const Florence2Task* task = find_florence2_task("caption");
  CHECK(construct_florence2_prompt("What is this?", &task) == "What is this?");
  CHECK(task == nullptr);
  CHECK(construct_florence2_prompt("a red car<CAPTION_TO_PHRASE_GROUNDING>", &task) ==
        "Locate the phrases in the caption: a red car");
  CHECK(task == find_florence2_task("phrase-grounding"));
}

TEST_CASE("a missing or unexpected task input is refused with a clear message") {
  CHECK(error_of([] { florence2_prompt(*find_florence2_task("phrase-grounding"), ""); }) ==
        "Florence-2 task phrase-grounding needs an input text: a caption whose phrases to locate");
  CHECK(error_of([] { florence2_prompt(*find_florence2_task("caption"), "a dog"); }) ==
        "Florence-2 task caption takes no input text (got \"a dog\")");
  CHECK(error_of([] { construct_florence2_prompt("<CAPTION> of a dog"); }) ==
        "Florence-2 task token <CAPTION> must be the whole text, it takes no input (got \"<CAPTION> of a dog\")");
}

TEST_CASE("each task reads its answer the processor's way") {
  CHECK(florence2_answer_type("<CAPTION>") == Florence2Answer::kPureText);
  CHECK(florence2_answer_type("<REGION_TO_OCR>") == Florence2Answer::kPureText);
  CHECK(florence2_answer_type("<OCR_WITH_REGION>") == Florence2Answer::kOcr);
  CHECK(florence2_answer_type("<OD>") == Florence2Answer::kDescriptionWithBboxes);
  CHECK(florence2_answer_type("<DENSE_REGION_CAPTION>") == Florence2Answer::kDescriptionWithBboxes);
  CHECK(florence2_answer_type("<CAPTION_TO_PHRASE_GROUNDING>") == Florence2Answer::kPhraseGrounding);
  CHECK(florence2_answer_type("<REGION_PROPOSAL>") == Florence2Answer::kBboxes);
  CHECK(florence2_answer_type("<REGION_TO_SEGMENTATION>") == Florence2Answer::kPolygons);
  CHECK(florence2_answer_type("<OPEN_VOCABULARY_DETECTION>") == Florence2Answer::kDescriptionWithBboxesOrPolygons);
  CHECK(florence2_answer_type("<NOT_A_TASK>") == Florence2Answer::kPureText);
}
