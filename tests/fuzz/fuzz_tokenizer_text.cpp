// encode and decode of arbitrary bytes with tokenizers loaded once from the fixtures: the
// real bert-base-uncased WordPiece vocabulary (BLIP's, with [DEC]/[ENC]), GPT-2's byte-level
// BPE and Florence-2's BART tokenizer (1,029 special tokens). The first byte picks the tokenizer
// (bit 0: GPT-2, bit 4: Florence-2, else BERT) and flags; the rest is the text, and also read as
// little-endian int32 ids for decode (arbitrary ids, negative and out of range included).
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace {

struct Tokenizers {
  std::unique_ptr<vkcap::text::Tokenizer> bert, gpt2, florence2;
};

const Tokenizers& tokenizers() {
  static const Tokenizers t = [] {
    Tokenizers t;
    t.bert = vkcap::text::load_tokenizer(VKCAP_FIXTURES_DIR "/text/bert-base-uncased");
    vkcap::text::add_blip_special_tokens(*t.bert);
    t.gpt2 = vkcap::text::load_tokenizer(VKCAP_FIXTURES_DIR "/text/gpt2");
    t.florence2 = vkcap::text::load_tokenizer(VKCAP_FIXTURES_DIR "/text/florence2");
    return t;
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const auto& tokenizer = (flags & 16) ? *tokenizers().florence2 : (flags & 1) ? *tokenizers().gpt2 : *tokenizers().bert;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  const std::vector<int32_t> ids = tokenizer.encode(text, (flags & 2) != 0);
  for (int32_t id : ids)
    if (id < 0 || size_t(id) >= tokenizer.size()) __builtin_trap();
  const std::string back = tokenizer.decode(ids, (flags & 4) != 0, (flags & 8) != 0);
  (void)tokenizer.convert_ids_to_tokens(ids);

  std::vector<int32_t> raw((size - 1) / 4);
  if (!raw.empty()) std::memcpy(raw.data(), data + 1, raw.size() * 4);
  (void)tokenizer.decode(raw, (flags & 4) != 0);
  vkcap::text::DecodeOptions unspaced;
  unspaced.skip_special_tokens = (flags & 4) != 0;
  unspaced.spaces_between_special_tokens = false;
  (void)tokenizer.decode(raw, unspaced);
  (void)tokenizer.convert_ids_to_tokens(raw);
  (void)back;
  return 0;
}
