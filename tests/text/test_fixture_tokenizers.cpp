// The tokenizers of the tiny golden models (tests/fixtures/<name>/): their `tokenizer` record
// and the decoded text of every generated sequence in expected.json.
#include <doctest/doctest.h>

#include "text/tokenizer.h"
#include "text_fixtures.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;

namespace {

// text = decode(sequence, skip_special_tokens=True), text_with_special = decode(sequence).
void check_generated_texts(const Tokenizer& tokenizer, const nlohmann::json& expected) {
  for (const auto& image : expected["images"]) {
    auto check = [&](const nlohmann::json& record, const std::string& name) {
      CAPTURE(image["file"].get<std::string>());
      CAPTURE(name);
      const auto sequence = ids_of(record["sequence"]);
      CHECK(tokenizer.decode(sequence, true) == record["text"].get<std::string>());
      CHECK(tokenizer.decode(sequence, false) == record["text_with_special"].get<std::string>());
    };
    for (const char* name : {"greedy", "greedy_forced_length", "beam", "default_generate"}) check(image[name], name);
    for (const char* name : {"greedy", "beam"}) check(image["conditional"][name], std::string("conditional.") + name);
  }
}

}  // namespace

TEST_CASE("BLIP fixture tokenizers match their expected.json") {
  for (const char* name : {"blip_tiny_a", "blip_tiny_b"}) {
    CAPTURE(name);
    const auto dir = fixtures() / name;
    const auto expected = read_json(dir / "expected.json");
    const auto& t = expected["tokenizer"];
    auto tokenizer = load_tokenizer(dir);
    CHECK(tokenizer->vocab_size() == t["vocab_txt_entries"].get<size_t>());
    CHECK(tokenizer->size() == t["len_tokenizer"].get<size_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kBos) == t["bos_token_id"].get<int32_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kSep) == t["sep_token_id"].get<int32_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kPad) == t["pad_token_id"].get<int32_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kCls) == t["cls_token_id"].get<int32_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kUnk) == t["unk_token_id"].get<int32_t>());
    for (int32_t id = 0; id < static_cast<int32_t>(tokenizer->size()); ++id) {
      const auto special = t["all_special_ids"].get<std::vector<int32_t>>();
      CHECK(tokenizer->is_special(id) == (std::find(special.begin(), special.end(), id) != special.end()));
    }
    CHECK(tokenizer->encode(t["prompt"].get<std::string>(), true) == ids_of(t["prompt_input_ids"]));
    CHECK(add_blip_special_tokens(*tokenizer) == t["bos_token_id"].get<int32_t>());
    CHECK(tokenizer->size() == t["len_tokenizer"].get<size_t>());
    check_generated_texts(*tokenizer, expected);
  }
}

TEST_CASE("ViT-GPT2 fixture tokenizers match their expected.json") {
  for (const char* name : {"vitgpt2_tiny_a", "vitgpt2_tiny_b"}) {
    CAPTURE(name);
    const auto dir = fixtures() / name;
    const auto expected = read_json(dir / "expected.json");
    const auto& t = expected["tokenizer"];
    auto tokenizer = load_tokenizer(dir);
    CHECK(tokenizer->kind() == "bpe");
    CHECK(tokenizer->size() == t["vocab_size"].get<size_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kEos) == t["eos_token_id"].get<int32_t>());
    CHECK(tokenizer->special_token_id(SpecialRole::kBos) == t["bos_token_id"].get<int32_t>());
    CHECK(tokenizer->encode(t["prompt"].get<std::string>(), true) == ids_of(t["prompt_input_ids"]));
    for (const auto& [text, ids] : t["roundtrip_examples"].items()) {
      CAPTURE(text);
      CHECK(tokenizer->encode(text, true) == ids_of(ids));
      CHECK(tokenizer->decode(ids_of(ids), true) == text);
    }
    check_generated_texts(*tokenizer, expected);
  }
}
