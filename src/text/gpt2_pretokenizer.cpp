#include "text/gpt2_pretokenizer.h"

#include "text/unicode.h"

namespace vkcap::text {
namespace {

bool is_letter(char32_t cp) { return char_class(cp) == CharClass::kLetter; }
bool is_number(char32_t cp) { return char_class(cp) == CharClass::kNumber; }
bool is_other(char32_t cp) { return !is_white_space(cp) && !is_letter(cp) && !is_number(cp); }

// Length of the match of the contraction alternatives at i, 0 if none (tried in order).
size_t match_contraction(std::u32string_view text, size_t i) {
  if (text[i] != U'\'' || i + 1 >= text.size()) return 0;
  static constexpr std::u32string_view kSuffixes[] = {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"};
  for (std::u32string_view suffix : kSuffixes) {
    if (text.substr(i + 1, suffix.size()) == suffix) return 1 + suffix.size();
  }
  return 0;
}

// " ?X+" for a class X: an optional U+0020 then one or more X.
template <typename Pred>
size_t match_run(std::u32string_view text, size_t i, Pred in_class) {
  size_t start = i;
  if (text[start] == U' ' && start + 1 < text.size() && in_class(text[start + 1])) ++start;
  size_t end = start;
  while (end < text.size() && in_class(text[end])) ++end;
  return end > start ? end - i : 0;
}

}  // namespace

std::vector<std::u32string_view> gpt2_pretokenize(std::u32string_view text) {
  std::vector<std::u32string_view> pieces;
  size_t i = 0;
  while (i < text.size()) {
    size_t len = match_contraction(text, i);
    if (!len) len = match_run(text, i, is_letter);
    if (!len) len = match_run(text, i, is_number);
    if (!len) len = match_run(text, i, is_other);
    if (!len) {
      // Here text[i] is whitespace. \s+(?!\S): the whole run if it reaches the end of the text,
      // else the run minus its last character (which then starts " ?X+"); a single whitespace
      // before a non-space falls through to plain \s+, i.e. itself.
      size_t end = i;
      while (end < text.size() && is_white_space(text[end])) ++end;
      len = end - i;
      if (end < text.size() && len > 1) --len;
    }
    pieces.push_back(text.substr(i, len));
    i += len;
  }
  return pieces;
}

}  // namespace vkcap::text
