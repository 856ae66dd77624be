#pragma once
// The character facts Hugging Face's slow tokenizers take from CPython (unicodedata, str.lower,
// str.isspace, bytes.decode) and from the `regex` module, for Unicode 14.0 (Python 3.11).
#include <cstdint>
#include <string>
#include <string_view>

#include "text/unicode_data.h"

namespace vkcap::text {

CharClass char_class(char32_t cp);

// Python's str.isspace(): bidi class WS/B/S or category Zs (what str.split() splits on).
bool is_python_space(char32_t cp);
// Unicode White_Space, what the `regex` module's \s matches in GPT-2's pre-tokenizer.
bool is_white_space(char32_t cp);
// BERT's _is_chinese_char: the CJK Unified Ideograph blocks (not Hiragana/Katakana/Hangul).
bool is_cjk_ideograph(char32_t cp);
// BERT's _is_punctuation: ASCII 33-47, 58-64, 91-96, 123-126, or any P* category.
bool is_bert_punctuation(char32_t cp);

// str.lower() of one code point, appended.
void append_lower(char32_t cp, std::u32string& out);
// unicodedata.normalize("NFD", chr(cp)), appended (full canonical decomposition, with Hangul;
// canonical reordering of combining marks is not needed for our use: marks are dropped or kept
// in place, and the tokenizers never compare decomposed strings with each other).
void append_nfd(char32_t cp, std::u32string& out);

// bytes.decode("utf-8", errors="replace"): every maximal invalid subpart becomes one U+FFFD,
// exactly as CPython does (the Unicode "best practice" also used by WHATWG).
std::u32string decode_utf8_replace(std::string_view bytes);
void append_utf8(char32_t cp, std::string& out);
std::string encode_utf8(std::u32string_view text);

}  // namespace vkcap::text
