#include "text/unicode.h"

#include <algorithm>

namespace vkcap::text {

CharClass char_class(char32_t cp) {
  using detail::kClassRanges;
  const auto* end = kClassRanges + detail::kClassRangeCount;
  const auto* it = std::upper_bound(kClassRanges, end, cp,
                                    [](char32_t c, const detail::ClassRange& r) { return c < r.first; });
  if (it == kClassRanges) return CharClass::kOther;
  --it;
  return cp <= it->last ? it->cls : CharClass::kOther;
}

bool is_python_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F:  // bidi B / S: Python counts them, Unicode does not
    case 0x20: case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool is_white_space(char32_t cp) {
  return is_python_space(cp) && !(cp >= 0x1C && cp <= 0x1F);
}

bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  return char_class(cp) == CharClass::kPunctuation;
}

void append_lower(char32_t cp, std::u32string& out) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (cp == 0x130) {  // SpecialCasing: LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + U+0307
    out.push_back(U'i');
    out.push_back(0x307);
    return;
  }
  using detail::kLowerRuns;
  const auto* end = kLowerRuns + detail::kLowerRunCount;
  const auto* it = std::upper_bound(kLowerRuns, end, cp,
                                    [](char32_t c, const detail::LowerRun& r) { return c < r.first; });
  if (it != kLowerRuns) {
    --it;
    const char32_t offset = cp - it->first;
    if (offset % it->stride == 0 && offset / it->stride < it->count) {
      out.push_back(static_cast<char32_t>(static_cast<int64_t>(cp) + it->delta));
      return;
    }
  }
  out.push_back(cp);
}

void append_nfd(char32_t cp, std::u32string& out) {
  // Hangul syllables decompose arithmetically (Unicode 14 §3.12): S = 0xAC00 + (L*21 + V)*28 + T.
  constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr char32_t kVCount = 21, kTCount = 28, kSCount = 11172;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / (kVCount * kTCount));
    out.push_back(kVBase + (s % (kVCount * kTCount)) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  if (cp < 0xC0) {
    out.push_back(cp);
    return;
  }
  using detail::kDecompIndex;
  const auto* end = kDecompIndex + detail::kDecompCount;
  const auto* it = std::lower_bound(kDecompIndex, end, cp,
                                    [](const detail::DecompEntry& e, char32_t c) { return e.cp < c; });
  if (it != end && it->cp == cp) {
    out.append(detail::kDecompData + it->offset, it->length);
  } else {
    out.push_back(cp);
  }
}

std::u32string decode_utf8_replace(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const size_t n = bytes.size();
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint8_t>(bytes[k]); };
  while (i < n) {
    const uint8_t b0 = byte(i);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    // Lead byte: sequence length and the allowed range of the second byte (which is where
    // overlongs, surrogates and values above U+10FFFF are excluded).
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    }
    if (len == 0) {  // continuation byte or C0, C1, F5..FF: never valid, one U+FFFD each
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = b0 & (0xFF >> (len + 1));
    size_t k = 1;
    for (; k < len; ++k) {
      if (i + k >= n) break;
      const uint8_t b = byte(i + k);
      const uint8_t min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
      if (b < min || b > max) break;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (k == len) {
      out.push_back(cp);
      i += len;
    } else {  // the maximal valid prefix is replaced as one unit; the offending byte starts anew
      out.push_back(0xFFFD);
      i += k;
    }
  }
  return out;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(cp, out);
  return out;
}

}  // namespace vkcap::text
