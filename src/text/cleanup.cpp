#include "text/cleanup.h"

#include "text/unicode.h"

namespace vkcap::text {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(text, pos, hit - pos);
    out.append(to);
  }
  out.append(text, pos, std::string::npos);
  text = std::move(out);
}

// Decodes the code point starting at byte i of valid UTF-8 and its length.
char32_t decode_at(std::string_view s, size_t i, size_t& len) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t b0 = b(0);
  if (b0 < 0x80) { len = 1; return b0; }
  if (b0 < 0xE0 && i + 1 < s.size()) { len = 2; return ((b0 & 0x1F) << 6) | (b(1) & 0x3F); }
  if (b0 < 0xF0 && i + 2 < s.size()) {
    len = 3;
    return ((b0 & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  }
  if (i + 3 < s.size()) {
    len = 4;
    return ((b0 & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
  len = 1;
  return 0xFFFD;
}

size_t leading_space_bytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    if (!is_python_space(decode_at(s, i, len))) break;
    i += len;
  }
  return i;
}

size_t trailing_space_bytes(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    size_t len = 1;
    if (!is_python_space(decode_at(s, start, len)) || start + len != end) break;
    end = start;
  }
  return s.size() - end;
}

}  // namespace

std::string clean_up_tokenization(std::string text) {
  replace_all(text, " .", ".");
  replace_all(text, " ?", "?");
  replace_all(text, " !", "!");
  replace_all(text, " ,", ",");
  replace_all(text, " ' ", "'");
  replace_all(text, " n't", "n't");
  replace_all(text, " 'm", "'m");
  replace_all(text, " 's", "'s");
  replace_all(text, " 've", "'ve");
  replace_all(text, " 're", "'re");
  return text;
}

std::string_view python_lstrip(std::string_view text) { return text.substr(leading_space_bytes(text)); }

std::string_view python_rstrip(std::string_view text) {
  return text.substr(0, text.size() - trailing_space_bytes(text));
}

std::string_view python_strip(std::string_view text) { return python_rstrip(python_lstrip(text)); }

}  // namespace vkcap::text
