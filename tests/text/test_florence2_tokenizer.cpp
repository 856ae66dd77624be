// Florence-2's tokenizer: the real BartTokenizer files plus the 1,024 tokens Florence2Processor
// adds, checked against what transformers gave in the golden fixtures (cases/florence2_*.json).
#include <doctest/doctest.h>

#include <filesystem>

#include "text/tokenizer.h"
#include "text_fixtures.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;
namespace fs = std::filesystem;

namespace {

fs::path florence2_dir() { return text_fixtures() / "florence2"; }

// A scratch directory under the build tree holding some of the fixture files.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name) : path(fs::path(VKCAP_BINARY_DIR) / "test_text_scratch" / name) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() { fs::remove_all(path); }
  void write(const std::string& file, const std::string& content) const {
    std::ofstream(path / file, std::ios::binary) << content;
  }
  void copy_from_fixture(const std::string& file) const { fs::copy_file(florence2_dir() / file, path / file); }
};

// Every generated sequence in a model golden, with the texts transformers decoded from it.
struct GoldenSequence {
  std::string where;
  std::vector<int32_t> ids;
  std::string text, text_with_special;
};

std::vector<GoldenSequence> golden_sequences(const std::string& fixture) {
  std::vector<GoldenSequence> out;
  const auto expected = read_json(text_fixtures() / "cases" / (fixture + ".json"));
  for (const auto& image : expected["images"]) {
    for (const auto& [task, record] : image["tasks"].items()) {
      for (const char* mode : {"greedy", "card"}) {
        const auto& run = record[mode];
        out.push_back({fixture + " " + image["file"].get<std::string>() + " " + task + " " + mode,
                       ids_of(run["sequence"]), run["text"], run["text_with_special"]});
      }
    }
  }
  return out;
}

// The processor tokens get the ids 50265.. in order, whatever the files listed.
void check_processor_token_ids(const Tokenizer& tokenizer) {
  const auto& tokens = florence2_processor_tokens();
  REQUIRE(tokens.size() == 1024);
  for (size_t k = 0; k < tokens.size(); ++k) {
    CAPTURE(tokens[k]);
    CHECK(tokenizer.token_to_id(tokens[k]) == static_cast<int32_t>(50265 + k));
    CHECK(tokenizer.is_special(static_cast<int32_t>(50265 + k)));
  }
  CHECK(tokenizer.size() == 51289);
}

// The prompt ids of every image x task in both model goldens.
void check_golden_prompt_ids(const Tokenizer& tokenizer) {
  for (const char* fixture : {"florence2_tiny_a", "florence2_tiny_b"}) {
    const auto expected = read_json(text_fixtures() / "cases" / (std::string(fixture) + ".json"));
    for (const auto& image : expected["images"]) {
      for (const auto& [task, record] : image["tasks"].items()) {
        CAPTURE(task);
        CHECK(tokenizer.encode(record["prompt"].get<std::string>(), true) == ids_of(record["input_ids"]));
      }
    }
  }
}

}  // namespace

TEST_CASE("the Florence-2 tokenizer files load as BartTokenizer with the processor's tokens") {
  auto tokenizer = load_tokenizer(florence2_dir());
  const auto expected = read_json(text_fixtures() / "cases" / "florence2_tiny_a.json")["tokenizer"];
  CHECK(tokenizer->kind() == "bpe");
  CHECK(tokenizer->vocab_size() == 50265);
  CHECK(tokenizer->size() == expected["len"].get<size_t>());
  CHECK(tokenizer->special_token_id(SpecialRole::kBos) == expected["bos"].get<int32_t>());
  CHECK(tokenizer->special_token_id(SpecialRole::kEos) == expected["eos"].get<int32_t>());
  CHECK(tokenizer->special_token_id(SpecialRole::kPad) == expected["pad"].get<int32_t>());
  CHECK(tokenizer->special_token_id(SpecialRole::kUnk) == 3);
  CHECK(tokenizer->special_token_id(SpecialRole::kCls) == 0);
  CHECK(tokenizer->special_token_id(SpecialRole::kSep) == 2);
  CHECK(tokenizer->special_token_id(SpecialRole::kMask) == 50264);
  CHECK(tokenizer->token_to_id("<loc_0>") == expected["loc_0"].get<int32_t>());
  CHECK(tokenizer->token_to_id("<loc_999>") == expected["loc_999"].get<int32_t>());
  CHECK(tokenizer->token_to_id("<region_to_desciption>") == 51282);
  check_processor_token_ids(*tokenizer);
  check_golden_prompt_ids(*tokenizer);
}

TEST_CASE("the bench configs of Florence-2-base and -large carry the goldens' tokenizer") {
  // `vkcap bench model assets/configs/florence-2-large` needs a tokenizer; -large's files are
  // base's (assets/configs/README.md says why that is the same tokenizer).
  for (const char* name : {"florence-2-base", "florence-2-large"}) {
    CAPTURE(name);
    auto tokenizer = load_tokenizer(std::filesystem::path(VKCAP_SOURCE_DIR) / "assets" / "configs" / name);
    CHECK(tokenizer->size() == 51289);
    check_processor_token_ids(*tokenizer);
    check_golden_prompt_ids(*tokenizer);
  }
}

TEST_CASE("Florence-2 generations decode as transformers' slow tokenizer, with and without special tokens") {
  auto tokenizer = load_tokenizer(florence2_dir());
  for (const char* fixture : {"florence2_tiny_a", "florence2_tiny_b"}) {
    for (const GoldenSequence& sequence : golden_sequences(fixture)) {
      CAPTURE(sequence.where);
      CHECK(tokenizer->decode(sequence.ids, false) == sequence.text_with_special);
      CHECK(tokenizer->decode(sequence.ids, true) == sequence.text);
    }
  }
}

TEST_CASE("added tokens are split out before BPE and join without spaces when asked") {
  auto tokenizer = load_tokenizer(florence2_dir());
  const auto cases = read_json(text_fixtures() / "cases" / "florence2_postprocess.json")["cases"];
  REQUIRE(cases.size() >= 6);
  DecodeOptions unspaced;
  unspaced.spaces_between_special_tokens = false;
  for (const auto& c : cases) {
    const std::string text = c["text_with_special"];
    CAPTURE(text);
    CHECK(tokenizer->encode(text, false) == ids_of(c["token_ids"]));
    CHECK(tokenizer->decode(ids_of(c["token_ids"]), false) == c["decoded"].get<std::string>());
    CHECK(tokenizer->decode(ids_of(c["token_ids"]), unspaced) == text);
  }
  // A task token is not a token: "<OD>" is plain text, "<od>" is one id.
  CHECK(tokenizer->encode("<od>", false) == std::vector<int32_t>{50265});
  CHECK(tokenizer->encode("<OD>", false).size() > 1);
  // <mask> eats the spaces on its left (lstrip), the processor's tokens do not.
  CHECK(tokenizer->encode("a <mask>", false) == std::vector<int32_t>{102, 50264});
  CHECK(tokenizer->encode("a <sep>", false) == std::vector<int32_t>{102, 1437, 51279});
}

TEST_CASE("a Florence-2 directory whose files do not list the processor's tokens gets them added in order") {
  SUBCASE("vocab.json + merges.txt, named by tokenizer_config.json") {
    ScratchDir dir("florence2_bare_slow");
    dir.copy_from_fixture("vocab.json");
    dir.copy_from_fixture("merges.txt");
    dir.write("tokenizer_config.json", R"({"tokenizer_class": "BartTokenizer", "processor_class": "Florence2Processor"})");
    auto tokenizer = load_tokenizer(dir.path);
    check_processor_token_ids(*tokenizer);
    check_golden_prompt_ids(*tokenizer);
  }
  SUBCASE("vocab.json + merges.txt, named by config.json only") {
    ScratchDir dir("florence2_bare_config");
    dir.copy_from_fixture("vocab.json");
    dir.copy_from_fixture("merges.txt");
    dir.write("config.json", R"({"architectures": ["Florence2ForConditionalGeneration"]})");
    auto tokenizer = load_tokenizer(dir.path);
    check_processor_token_ids(*tokenizer);
    check_golden_prompt_ids(*tokenizer);
    for (const GoldenSequence& sequence : golden_sequences("florence2_tiny_b")) {
      CAPTURE(sequence.where);
      CHECK(tokenizer->decode(sequence.ids, false) == sequence.text_with_special);
      CHECK(tokenizer->decode(sequence.ids, true) == sequence.text);
    }
  }
  SUBCASE("tokenizer.json alone (RobertaProcessing), named by config.json's model_type") {
    ScratchDir dir("florence2_tokenizer_json");
    const auto vocab = read_json(florence2_dir() / "vocab.json");
    nlohmann::json merges = nlohmann::json::array();
    std::ifstream in(florence2_dir() / "merges.txt");
    std::string line;
    std::getline(in, line);  // #version
    while (std::getline(in, line)) merges.push_back(line);
    const nlohmann::json tokenizer_json = {
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
        {"post_processor", {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 0}}}}};
    dir.write("tokenizer.json", tokenizer_json.dump());
    dir.write("config.json", R"({"model_type": "florence2"})");
    auto tokenizer = load_tokenizer(dir.path);
    check_processor_token_ids(*tokenizer);
    check_golden_prompt_ids(*tokenizer);
  }
}

TEST_CASE("a BART directory that is not Florence-2 gets <s> ... </s> but no location tokens") {
  ScratchDir dir("bart_plain");
  dir.copy_from_fixture("vocab.json");
  dir.copy_from_fixture("merges.txt");
  dir.write("tokenizer_config.json", R"({"tokenizer_class": "BartTokenizer"})");
  auto tokenizer = load_tokenizer(dir.path);
  CHECK(tokenizer->size() == 50265);
  CHECK(tokenizer->token_to_id("<loc_0>") == -1);
  CHECK(tokenizer->encode("What does the image describe?", true) ==
        std::vector<int32_t>{0, 2264, 473, 5, 2274, 6190, 116, 2});
  CHECK(tokenizer->decode(std::vector<int32_t>{2, 0, 250, 2272, 512, 2}, true) == "A green car");
}
