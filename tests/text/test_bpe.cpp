// GPT-2 byte-level BPE against transformers 4.40's slow GPT2Tokenizer on the real gpt2 files
// (tests/fixtures/text/cases/gpt2.json).
#include <doctest/doctest.h>

#include "text/byte_level.h"
#include "text/tokenizer.h"
#include "text_fixtures.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;

TEST_CASE("bytes_to_unicode maps space to U+0120 and printable Latin-1 to itself") {
  CHECK(byte_to_unicode(' ') == 0x120);
  CHECK(byte_to_unicode('\n') == 0x10A);
  CHECK(byte_to_unicode('!') == U'!');
  CHECK(byte_to_unicode(0xAD) == 0x143);
  for (int b = 0; b < 256; ++b) CHECK(unicode_to_byte(byte_to_unicode(static_cast<uint8_t>(b))) == b);
}

TEST_CASE("the real GPT-2 vocabulary loads") {
  auto gpt2 = load_tokenizer(text_fixtures() / "gpt2");
  CHECK(gpt2->kind() == "bpe");
  CHECK(gpt2->vocab_size() == 50257);
  CHECK(gpt2->token_to_id("<|endoftext|>") == 50256);
  CHECK(gpt2->token_to_id("Ġthe") == 262);
  CHECK(gpt2->is_special(50256));
  CHECK(gpt2->special_token_id(SpecialRole::kEos) == 50256);
}

TEST_CASE("every golden GPT-2 case encodes and decodes like transformers") {
  const auto golden = read_json(text_fixtures() / "cases" / "gpt2.json");
  auto gpt2 = load_tokenizer(text_fixtures() / "gpt2");
  REQUIRE(golden["cases"].size() == 100);
  for (const auto& c : golden["cases"]) {
    const std::string text = from_hex(c["text_utf8_hex"].get<std::string>());
    CAPTURE(c["id"].get<std::string>());
    const auto ids = ids_of(c["ids"]);
    CHECK(gpt2->encode(text, true) == ids);
    CHECK(gpt2->encode(text, false) == ids);
    CHECK(gpt2->convert_ids_to_tokens(ids) == c["tokens"].get<std::vector<std::string>>());
    CHECK(gpt2->decode(ids, true) == c["decoded"].get<std::string>());
    CHECK(gpt2->decode(ids, false) == c["decoded_keep_special"].get<std::string>());
    CHECK(gpt2->decode(ids, true, false) == c["decoded_no_cleanup"].get<std::string>());
  }
}

TEST_CASE("GPT-2 decoding replaces invalid UTF-8 the way CPython does") {
  const auto golden = read_json(text_fixtures() / "cases" / "gpt2.json");
  auto gpt2 = load_tokenizer(text_fixtures() / "gpt2");
  for (const auto& c : golden["decode_cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const auto ids = ids_of(c["ids"]);
    CHECK(gpt2->convert_ids_to_tokens(ids) == c["tokens"].get<std::vector<std::string>>());
    CHECK(gpt2->decode(ids, true) == from_hex(c["skip_special_tokens_utf8_hex"].get<std::string>()));
    CHECK(gpt2->decode(ids, false) == from_hex(c["keep_special_tokens_utf8_hex"].get<std::string>()));
    CHECK(gpt2->decode(ids, true, false) ==
          from_hex(c["skip_special_tokens_no_cleanup_utf8_hex"].get<std::string>()));
  }
}

TEST_CASE("GPT-2 drops ids outside its vocabulary when decoding") {
  auto gpt2 = load_tokenizer(text_fixtures() / "gpt2");
  const std::vector<int32_t> ids = {64, 99999, -5, 3290};
  CHECK(gpt2->decode(ids, true) == "a dog");
}
