#include "text/basic_tokenizer.h"

#include <algorithm>

#include "text/unicode.h"

namespace vkcap::text {
namespace {

bool is_bert_whitespace(char32_t cp) {
  return cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r' ||
         char_class(cp) == CharClass::kSpaceSeparator;
}

bool is_bert_control(char32_t cp) {
  if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;
  return char_class(cp) == CharClass::kControl;  // any C* category, unassigned included
}

// _clean_text + _tokenize_chinese_chars: drop NUL, U+FFFD and controls, whitespace -> ' ',
// and put spaces around every CJK ideograph.
std::u32string clean_text(std::u32string_view text, bool tokenize_chinese_chars) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp == 0 || cp == 0xFFFD || is_bert_control(cp)) continue;
    if (is_bert_whitespace(cp)) {
      out.push_back(U' ');
    } else if (tokenize_chinese_chars && is_cjk_ideograph(cp)) {
      out.push_back(U' ');
      out.push_back(cp);
      out.push_back(U' ');
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

// whitespace_tokenize: str.split() on Python whitespace.
void split_python_whitespace(std::u32string_view text, std::vector<std::u32string>& out) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_python_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_python_space(text[i])) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
}

// token.lower() then NFD without Mn marks. HF applies NFC to the whole text first; for every
// code point c, NFD(lower(NFC(c))) == NFD(lower(c)) in Unicode 14 (checked exhaustively with
// gen_unicode_data.py's Python), so the NFC step is folded away here.
std::u32string lower_and_strip(std::u32string_view token, bool lower, bool strip) {
  std::u32string lowered;
  for (char32_t cp : token) {
    if (lower) {
      append_lower(cp, lowered);
    } else {
      lowered.push_back(cp);
    }
  }
  if (!strip) return lowered;
  std::u32string decomposed, out;
  for (char32_t cp : lowered) append_nfd(cp, decomposed);
  for (char32_t cp : decomposed) {
    if (char_class(cp) != CharClass::kMarkNonspacing) out.push_back(cp);
  }
  return out;
}

void split_on_punctuation(const std::u32string& token, std::vector<std::u32string>& out) {
  bool start_new_word = true;
  for (char32_t cp : token) {
    if (is_bert_punctuation(cp)) {
      out.emplace_back(1, cp);
      start_new_word = true;
    } else {
      if (start_new_word) out.emplace_back();
      start_new_word = false;
      out.back().push_back(cp);
    }
  }
}

}  // namespace

std::vector<std::u32string> basic_tokenize(std::u32string_view text, const BasicTokenizerOptions& options,
                                           const std::vector<std::u32string>& never_split) {
  auto protected_token = [&](const std::u32string& token) {
    return std::find(never_split.begin(), never_split.end(), token) != never_split.end();
  };
  std::vector<std::u32string> words;
  split_python_whitespace(clean_text(text, options.tokenize_chinese_chars), words);
  // NOTE: without lower-casing or accent stripping HF's NFC step would matter and is not done.
  const bool strip = options.do_lower_case ? options.strip_accents.value_or(true)
                                           : options.strip_accents.value_or(false);
  std::vector<std::u32string> pieces;
  for (std::u32string& word : words) {
    if (protected_token(word)) {
      pieces.push_back(std::move(word));
      continue;
    }
    std::u32string normalized = lower_and_strip(word, options.do_lower_case, strip);
    if (!options.do_split_on_punc) {
      pieces.push_back(std::move(normalized));
    } else {
      split_on_punctuation(normalized, pieces);
    }
  }
  // whitespace_tokenize(" ".join(pieces)): drops the empty pieces left by stripping.
  std::vector<std::u32string> out;
  for (std::u32string& piece : pieces) {
    if (!piece.empty()) out.push_back(std::move(piece));
  }
  return out;
}

}  // namespace vkcap::text
