// The Unicode facts and GPT-2's hand-written pre-tokenizer, checked on characters whose answer
// Python 3.11 (Unicode 14) gives.
#include <doctest/doctest.h>

#include "text/gpt2_pretokenizer.h"
#include "text/unicode.h"

using namespace vkcap::text;

namespace {

std::u32string lower(char32_t cp) {
  std::u32string out;
  append_lower(cp, out);
  return out;
}

std::u32string nfd(char32_t cp) {
  std::u32string out;
  append_nfd(cp, out);
  return out;
}

std::vector<std::u32string> pieces(std::u32string_view text) {
  std::vector<std::u32string> out;
  for (auto piece : gpt2_pretokenize(text)) out.emplace_back(piece);
  return out;
}

}  // namespace

TEST_CASE("general categories fold into the classes the tokenizers use") {
  CHECK(char_class(U'a') == CharClass::kLetter);
  CHECK(char_class(U'猫') == CharClass::kLetter);
  CHECK(char_class(U'½') == CharClass::kNumber);
  CHECK(char_class(U'٣') == CharClass::kNumber);
  CHECK(char_class(U'«') == CharClass::kPunctuation);
  CHECK(char_class(U'€') == CharClass::kOther);  // Sc: not punctuation for BERT
  CHECK(char_class(0x301) == CharClass::kMarkNonspacing);
  CHECK(char_class(0x200B) == CharClass::kControl);  // Cf
  CHECK(char_class(0x378) == CharClass::kControl);   // unassigned (Cn)
  CHECK(char_class(0xA0) == CharClass::kSpaceSeparator);
  CHECK(is_bert_punctuation(U'$'));
  CHECK(is_bert_punctuation(U'`'));
  CHECK_FALSE(is_bert_punctuation(U'€'));
  CHECK(is_cjk_ideograph(U'猫'));
  CHECK_FALSE(is_cjk_ideograph(U'カ'));
  CHECK(is_python_space(0x1C));
  CHECK_FALSE(is_white_space(0x1C));
  CHECK(is_white_space(0x2028));
}

TEST_CASE("str.lower and NFD agree with CPython") {
  CHECK(lower(U'A') == U"a");
  CHECK(lower(U'Ω') == U"ω");
  CHECK(lower(U'Ж') == U"ж");
  CHECK(lower(U'Ā') == U"ā");
  CHECK(lower(0x130) == U"i\u0307");
  CHECK(lower(U'Ａ') == U"ａ");
  CHECK(nfd(U'é') == U"e\u0301");
  CHECK(nfd(U'ǖ') == U"u\u0308\u0304");
  CHECK(nfd(U'ώ') == U"ω\u0301");
  CHECK(nfd(U'й') == U"и\u0306");
  CHECK(nfd(U'한') == U"\u1112\u1161\u11AB");
  CHECK(nfd(0xF900) == U"\u8C48");  // CJK compatibility ideograph
  CHECK(nfd(U'Ø') == U"Ø");        // no canonical decomposition
}

TEST_CASE("GPT-2's pre-tokenizer splits like its regex") {
  CHECK(pieces(U"it's a dog's life") == std::vector<std::u32string>{U"it", U"'s", U" a", U" dog", U"'s", U" life"});
  CHECK(pieces(U"double  space") == std::vector<std::u32string>{U"double", U" ", U" space"});
  CHECK(pieces(U"trailing  ") == std::vector<std::u32string>{U"trailing", U"  "});
  CHECK(pieces(U"a\tb") == std::vector<std::u32string>{U"a", U"\t", U"b"});
  CHECK(pieces(U"x' y'") == std::vector<std::u32string>{U"x", U"'", U" y", U"'"});
  CHECK(pieces(U"2024!?") == std::vector<std::u32string>{U"2024", U"!?"});
  CHECK(pieces(U"'S") == std::vector<std::u32string>{U"'", U"S"});
  CHECK(pieces(U"") .empty());
}
