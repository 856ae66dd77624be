// BERT WordPiece as BLIP uses it, against transformers 4.40's slow BertTokenizer on the real
// bert-base-uncased vocabulary (tests/fixtures/text/cases/bert_uncased_blip.json).
#include <doctest/doctest.h>

#include "text/tokenizer.h"
#include "text_fixtures.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;

namespace {

std::unique_ptr<Tokenizer> hub_bert() { return load_tokenizer(text_fixtures() / "bert-base-uncased"); }

std::unique_ptr<Tokenizer> blip_bert() {
  auto tokenizer = hub_bert();
  add_blip_special_tokens(*tokenizer);
  return tokenizer;
}

}  // namespace

TEST_CASE("the real BLIP vocabulary loads as bert-base-uncased") {
  auto hub = hub_bert();
  CHECK(hub->kind() == "wordpiece");
  CHECK(hub->vocab_size() == 30522);
  CHECK(hub->size() == 30522);
  CHECK(hub->token_to_id("[CLS]") == 101);
  CHECK(hub->token_to_id("[DEC]") == -1);
  CHECK(hub->special_token_id(SpecialRole::kSep) == 102);
  CHECK(hub->id_to_token(30521) == "##～");
}

TEST_CASE("BLIP's [DEC] and [ENC] take the ids after vocab.txt and are special") {
  auto blip = blip_bert();
  CHECK(blip->token_to_id("[DEC]") == 30522);
  CHECK(blip->token_to_id("[ENC]") == 30523);
  CHECK(blip->special_token_id(SpecialRole::kBos) == 30522);
  CHECK(blip->size() == 30524);
  CHECK(blip->vocab_size() == 30522);
  CHECK(blip->is_special(30522));
  CHECK(blip->is_special(30523));
  CHECK(add_blip_special_tokens(*blip) == 30522);  // idempotent
  CHECK(blip->size() == 30524);
  const std::vector<int32_t> caption = {30522, 1037, 3861, 1997, 1037, 3899, 102};
  CHECK(blip->decode(caption, true) == "a picture of a dog");
}

TEST_CASE("every golden BERT case encodes and decodes like transformers") {
  const auto golden = read_json(text_fixtures() / "cases" / "bert_uncased_blip.json");
  auto blip = blip_bert();
  auto hub = hub_bert();
  REQUIRE(golden["cases"].size() == 100);
  for (const auto& c : golden["cases"]) {
    const std::string text = from_hex(c["text_utf8_hex"].get<std::string>());
    CAPTURE(c["id"].get<std::string>());
    const auto ids = ids_of(c["ids"]);
    CHECK(blip->encode(text, true) == ids);
    CHECK(blip->convert_ids_to_tokens(ids) == c["tokens"].get<std::vector<std::string>>());
    CHECK(blip->decode(ids, true) == c["decoded"].get<std::string>());
    CHECK(blip->decode(ids, false) == c["decoded_keep_special"].get<std::string>());
    CHECK(blip->decode(ids, true, false) == c["decoded_no_cleanup"].get<std::string>());
    const auto& h = c.contains("hub_tokenizer") ? c["hub_tokenizer"] : c;
    const auto hub_ids = ids_of(h["ids"]);
    CHECK(hub->encode(text, true) == hub_ids);
    CHECK(hub->decode(hub_ids, true) == h["decoded"].get<std::string>());
    CHECK(hub->decode(hub_ids, false) == h["decoded_keep_special"].get<std::string>());
  }
}

TEST_CASE("hand-picked BERT id lists decode like transformers, with and without [DEC]") {
  const auto golden = read_json(text_fixtures() / "cases" / "bert_uncased_blip.json");
  auto blip = blip_bert();
  auto hub = hub_bert();
  for (const auto& c : golden["decode_cases"]) {
    CAPTURE(c["name"].get<std::string>());
    const auto ids = ids_of(c["ids"]);
    for (auto [tokenizer, key] : {std::pair{blip.get(), "blip"}, std::pair{hub.get(), "hub"}}) {
      CAPTURE(key);
      const auto& e = c[key];
      CHECK(tokenizer->convert_ids_to_tokens(ids) == e["tokens"].get<std::vector<std::string>>());
      CHECK(tokenizer->decode(ids, true) == e["skip_special_tokens"].get<std::string>());
      CHECK(tokenizer->decode(ids, false) == e["keep_special_tokens"].get<std::string>());
      CHECK(tokenizer->decode(ids, true, false) == e["skip_special_tokens_no_cleanup"].get<std::string>());
    }
  }
}

TEST_CASE("encode without special tokens leaves out [CLS] and [SEP]") {
  auto blip = blip_bert();
  CHECK(blip->encode("a picture of", false) == std::vector<int32_t>{1037, 3861, 1997});
}

TEST_CASE("tokenizer.json alone gives the same ids as vocab.txt") {
  const auto golden = read_json(text_fixtures() / "cases" / "bert_uncased_blip.json");
  auto from_json = load_tokenizer(text_fixtures() / "blip-base-tokenizer-json");
  auto from_txt = hub_bert();
  CHECK(from_json->kind() == "wordpiece");
  CHECK(from_json->vocab_size() == 30522);
  for (const auto& c : golden["cases"]) {
    const std::string text = from_hex(c["text_utf8_hex"].get<std::string>());
    CAPTURE(c["id"].get<std::string>());
    const auto ids = from_txt->encode(text, true);
    CHECK(from_json->encode(text, true) == ids);
    CHECK(from_json->decode(ids, true) == from_txt->decode(ids, true));
  }
  add_blip_special_tokens(*from_json);
  CHECK(from_json->token_to_id("[DEC]") == 30522);
}
