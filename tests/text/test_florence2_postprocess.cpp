// Florence-2 post-processing against the processor's own results (cases/florence2_*.json), and
// the corner cases of its regular expressions.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <random>

#include "text/florence2_postprocess.h"
#include "text/tokenizer.h"
#include "text_fixtures.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;
using nlohmann::json;

namespace {

// Same structure, same strings, numbers within 1e-3.
bool near(const json& got, const json& want, std::string& why, const std::string& at = "") {
  if (want.is_number()) {
    if (!got.is_number() || std::fabs(got.get<double>() - want.get<double>()) > 1e-3) {
      why = at + ": " + got.dump() + " != " + want.dump();
      return false;
    }
    return true;
  }
  if (want.is_array() || want.is_object()) {
    if (got.type() != want.type() || got.size() != want.size()) {
      why = at + ": " + got.dump().substr(0, 300) + " != " + want.dump().substr(0, 300);
      return false;
    }
    if (want.is_array()) {
      for (size_t k = 0; k < want.size(); ++k) {
        if (!near(got[k], want[k], why, at + "[" + std::to_string(k) + "]")) return false;
      }
    } else {
      for (const auto& [key, value] : want.items()) {
        if (!got.contains(key) || !near(got[key], value, why, at + "." + key)) return false;
      }
    }
    return true;
  }
  if (got != want) why = at + ": " + got.dump() + " != " + want.dump();
  return got == want;
}

void check_processor_result(const std::string& text, const std::string& task, const json& size_wh,
                            const json& want) {
  CAPTURE(text);
  CAPTURE(task);
  const Florence2Result result = florence2_post_process(text, task, size_wh[0].get<int>(), size_wh[1].get<int>());
  std::string why;
  CHECK_MESSAGE(near(florence2_processor_json(result), want, why), why);
}

// "<CAPTION_TO_PHRASE_GROUNDING>a red car" -> "<CAPTION_TO_PHRASE_GROUNDING>".
std::string task_token_of(const std::string& key) { return key.substr(0, key.find('>') + 1); }

std::string loc(std::initializer_list<int> bins) {
  std::string out;
  for (int bin : bins) out += "<loc_" + std::to_string(bin) + ">";
  return out;
}

json processor_json(const std::string& text, const std::string& task, int width = 1000, int height = 1000) {
  return florence2_processor_json(florence2_post_process(text, task, width, height))[task];
}

}  // namespace

TEST_CASE("post-processing gives the processor's results for the reference texts") {
  const json cases = read_json(text_fixtures() / "cases" / "florence2_postprocess.json")["cases"];
  REQUIRE(cases.size() >= 6);
  for (const json& c : cases) {
    const std::string task = c["task"];
    check_processor_result(c["text_with_special"], task, c["image_size_wh"], c["post_processed"]);
  }
}

TEST_CASE("post-processing gives the processor's results for every generation of the model goldens") {
  size_t checked = 0;
  for (const char* fixture : {"florence2_tiny_a", "florence2_tiny_b"}) {
    const json expected = read_json(text_fixtures() / "cases" / (std::string(fixture) + ".json"));
    for (const json& image : expected["images"]) {
      for (const auto& [key, record] : image["tasks"].items()) {
        for (const char* mode : {"greedy", "card"}) {
          const std::string task = task_token_of(key);
          REQUIRE(record[mode]["post_processed"].contains(task));
          check_processor_result(record[mode]["text_with_special"], task, image["size_wh"],
                                 record[mode]["post_processed"]);
          ++checked;
        }
      }
    }
  }
  CHECK(checked == 32);
}

TEST_CASE("coordinates are bin centres computed in float32") {
  const Florence2Result result = florence2_post_process("car" + loc({52, 333, 932, 774}), "<OD>", 640, 480);
  REQUIRE(result.regions.size() == 1);
  // (52 + 0.5) * 0.64 and (333 + 0.5) * 0.48 in float32, as transformers printed them.
  CHECK(result.regions[0].points[0] == 33.599998474121094f);
  CHECK(result.regions[0].points[1] == 160.0800018310547f);
  CHECK(result.regions[0].points[3] == 371.7599792480469f);
  CHECK(florence2_result_json(result).dump() ==
        R"({"regions":[{"box":[33.6,160.08,596.8,371.75998],"label":"car"}]})");
}

TEST_CASE("the printed JSON: text for text tasks, regions with box, quad or polygons otherwise") {
  CHECK(florence2_result_json(florence2_post_process("</s><s>A cat.<pad></s>", "<CAPTION>", 10, 10)).dump() ==
        R"({"text":"A cat.<pad>"})");
  CHECK(florence2_result_json(florence2_post_process("<s>HI" + loc({0, 0, 999, 0, 999, 999, 0, 999}) + "</s>",
                                                     "<OCR_WITH_REGION>", 100, 10))
            .dump() == R"({"regions":[{"label":"HI","quad":[0.05,0.005,99.950005,0.005,99.950005,9.995,0.05,9.995]}]})");
  CHECK(florence2_result_json(florence2_post_process(loc({1, 2, 3, 4, 5}), "<REGION_PROPOSAL>", 1000, 1000)).dump() ==
        R"({"regions":[{"box":[1.5,2.5,3.5,4.5],"label":""}]})");
  CHECK(florence2_result_json(florence2_post_process("<poly>" + loc({1, 2, 3, 4}) + "</poly>",
                                                     "<REFERRING_EXPRESSION_SEGMENTATION>", 1000, 1000))
            .dump() == R"({"regions":[{"label":"","polygons":[[1.5,2.5,3.5,4.5]]}]})");
  // A task outside the processor's table is read as text.
  CHECK(florence2_post_process("<s>x" + loc({1, 2, 3, 4}) + "</s>", "<SOMETHING>", 10, 10).text ==
        "x" + loc({1, 2, 3, 4}));
}

TEST_CASE("text decoded with spaces between location tokens yields no regions, as in the processor") {
  const json cases = read_json(text_fixtures() / "cases" / "florence2_postprocess.json")["cases"];
  const json& od = cases[0];
  REQUIRE(od["task"] == "<OD>");
  CHECK(florence2_post_process(od["decoded"].get<std::string>(), "<OD>", 640, 480).regions.empty());
  CHECK(florence2_post_process(od["text_with_special"].get<std::string>(), "<OD>", 640, 480).regions.size() == 4);
}

TEST_CASE("labels follow the processor's patterns, including their quirks") {
  // A phrase may start inside a location token: its label is then the token's tail.
  CHECK(processor_json(loc({1, 2, 3, 4, 5}), "<OD>") ==
        json{{"bboxes", {{2.5f, 3.5f, 4.5f, 5.5f}}}, {"labels", {"loc_1>"}}});
  CHECK(processor_json("ab" + loc({1, 2, 3}) + "cd" + loc({4, 5, 6, 7, 8}), "<OD>")["labels"] == json{"loc_3>cd"});
  // Proposals take runs of four or more tokens; a fifth token alone is dropped.
  CHECK(processor_json(loc({1, 2, 3, 4, 5}), "<REGION_PROPOSAL>") ==
        json{{"bboxes", {{1.5f, 2.5f, 3.5f, 4.5f}}}, {"labels", {""}}});
  // Several boxes after one phrase each get the phrase; grounding drops generic phrases, OD keeps them.
  const std::string grounded = "it" + loc({1, 2, 3, 4}) + "a dog" + loc({5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(processor_json(grounded, "<CAPTION_TO_PHRASE_GROUNDING>")["labels"] == json{"a dog", "a dog"});
  CHECK(processor_json(grounded, "<OD>")["labels"] == json{"it", "a dog", "a dog"});
  // Labels are stripped, then lose non-ASCII characters; a newline inside a label loses the phrase.
  CHECK(processor_json("caf\xc3\xa9 x" + loc({1, 2, 3, 4}), "<OD>")["labels"] == json{"caf x"});
  CHECK(processor_json(" \xc3\xa9 car" + loc({1, 2, 3, 4}), "<OD>")["labels"] == json{" car"});
  CHECK(processor_json("\n dog" + loc({1, 2, 3, 4}), "<OD>")["labels"] == json{"dog"});
  CHECK(processor_json(" a\nb" + loc({1, 2, 3, 4}), "<OD>")["labels"] == json::array());
  // Labels keep their case; <s>, </s> and <pad> are removed first.
  CHECK(processor_json("<s>Big Car<pad>" + loc({1, 2, 3, 4}) + "</s>", "<DENSE_REGION_CAPTION>")["labels"] ==
        json{"Big Car"});
}

TEST_CASE("OCR lines are the shortest text before eight location tokens, on one line") {
  const std::string eight = loc({1, 2, 3, 4, 5, 6, 7, 8});
  // Only <s> is removed: a leading </s> stays in the first line's text.
  CHECK(processor_json("</s><s>HI" + eight, "<OCR_WITH_REGION>")["labels"] == json{"</s>HI"});
  CHECK(processor_json("A\nB" + eight, "<OCR_WITH_REGION>")["labels"] == json{"B"});
  const json two = processor_json("a<b" + eight + "\nc" + loc({11, 12, 13, 14, 15, 16, 17, 18}) + "z",
                                  "<OCR_WITH_REGION>", 2000, 100);
  CHECK(two["labels"] == json{"a<b", "c"});
  CHECK(two["quad_boxes"][1] == json{23.0f, 1.25f, 27.0f, 1.45f, 31.0f, 1.65f, 35.0f, 1.85f});
}

TEST_CASE("segmentation answers are polygons, split at <sep> and grouped by <poly>") {
  CHECK(processor_json("<s>" + loc({10, 20, 30, 40, 50}) + "<sep>" + loc({1, 2}) + "</s>", "<REGION_TO_SEGMENTATION>") ==
        json{{"polygons", {{{10.5f, 20.5f, 30.5f, 40.5f}, {1.5f, 2.5f}}}}, {"labels", {""}}});
  CHECK(processor_json("<poly>" + loc({1, 2, 3, 4}) + "</poly><poly>" + loc({5, 6, 7, 8, 9, 10}) + "</poly>",
                       "<REFERRING_EXPRESSION_SEGMENTATION>")["polygons"] ==
        json{{{1.5f, 2.5f, 3.5f, 4.5f}}, {{5.5f, 6.5f, 7.5f, 8.5f, 9.5f, 10.5f}}});
}

TEST_CASE("open vocabulary detection gives boxes, or polygons when the answer has <poly>") {
  CHECK(processor_json("a cat" + loc({1, 2, 3, 4}), "<OPEN_VOCABULARY_DETECTION>") ==
        json{{"bboxes", {{1.5f, 2.5f, 3.5f, 4.5f}}},
             {"bboxes_labels", {"a cat"}},
             {"polygons", json::array()},
             {"polygons_labels", json::array()}});
  CHECK(processor_json("a cat<poly>" + loc({1, 2, 3, 4, 5, 6}) + "</poly>", "<OPEN_VOCABULARY_DETECTION>") ==
        json{{"bboxes", json::array()},
             {"bboxes_labels", json::array()},
             {"polygons", {{{1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}}}},
             {"polygons_labels", {"a cat"}}});
  // A label found inside a location token loses that token's tail.
  CHECK(processor_json("x" + loc({7}) + "y<poly>" + loc({1, 2, 3, 4}) + "</poly>",
                       "<OPEN_VOCABULARY_DETECTION>")["polygons_labels"] == json{"y"});
}

TEST_CASE("the model goldens' sequences decoded without spaces are read as the fast tokenizer's text would be") {
  // Image 0 of florence2_tiny_a, <OD>: the slow tokenizer's spaced text gave no boxes for either
  // run; joined directly, the location tokens of the beam-search run become adjacent.
  auto tokenizer = load_tokenizer(text_fixtures() / "florence2");
  const json expected = read_json(text_fixtures() / "cases" / "florence2_tiny_a.json");
  const json& od = expected["images"][0]["tasks"]["<OD>"];
  const std::string greedy = florence2_generated_text(*tokenizer, ids_of(od["greedy"]["sequence"]));
  CHECK(florence2_generated_text(*tokenizer, ids_of(od["greedy"]["sequence"]), true) ==
        od["greedy"]["text_with_special"].get<std::string>());
  CHECK(greedy == "</s><s>" + loc({745, 939, 939, 745}) + " Nath Nath Nath Nath" + loc({745}) + " Nath Nath" +
                      loc({745, 745, 745}) + "</s>");
  CHECK(florence2_post_process(greedy, "<OD>", 120, 80).regions.empty());  // no run of 4 after a label
  const std::string card = florence2_generated_text(*tokenizer, ids_of(od["card"]["sequence"]));
  CHECK(card == "</s><s>" + loc({745, 939, 939, 745, 745}) + " Nath Nath Nath" + loc({745}) + " Nath" +
                    loc({745, 745, 526, 745}) + "</s>");
  CHECK(processor_json(card, "<OD>", 120, 80)["labels"] == json{"loc_745>", "loc_745> Nath"});
}

TEST_CASE("any text post-processes without failing, into well-formed regions") {
  const std::vector<std::string> pieces = {"<loc_7>", "<loc_999>", "<loc_12345678901234567890>", "<loc_>", "<sep>",
                                           "<poly>", "</poly>", "<s>", "</s>", "<pad>", "<od>", "a", " ", "\n",
                                           "<", "loc_", ">", "3", "\xc3\xa9", "\xff", "it"};
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const size_t length = rng() % 120;
    for (size_t k = 0; k < length; ++k) text += pieces[rng() % pieces.size()];
    CAPTURE(text);
    for (const Florence2Task& task : florence2_tasks()) {
      const Florence2Result result = florence2_post_process(text, task.token, 1 + rng() % 4000, 1 + rng() % 4000);
      for (const Florence2Region& region : result.regions) {
        if (region.shape == Florence2Region::Shape::kPolygons) {
          CHECK(!region.polygons.empty());
          for (const auto& polygon : region.polygons) CHECK(polygon.size() % 2 == 0);
        } else {
          CHECK(region.points.size() == (region.shape == Florence2Region::Shape::kQuad ? 8u : 4u));
        }
      }
      CHECK_NOTHROW((void)florence2_result_json(result).dump());
    }
  }
}

TEST_CASE("a long answer post-processes in linear time") {
  std::string text;
  for (int k = 0; k < 20000; ++k) {
    if (k % 5 == 0) text += 'x';  // a label, then five location tokens: one box each
    text += loc({k % 1000});
  }
  text += std::string(200000, 'y');  // and a long line without eight tokens
  const auto start = std::chrono::steady_clock::now();
  for (const char* task : {"<OD>", "<OCR_WITH_REGION>", "<REGION_PROPOSAL>", "<REGION_TO_SEGMENTATION>"}) {
    (void)florence2_post_process(text, task, 640, 480);
  }
  CHECK(florence2_post_process(text, "<OD>", 640, 480).regions.size() == 4000);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
