#include "text/wordpiece.h"

#include "text/cleanup.h"
#include "text/unicode.h"

namespace vkcap::text {

WordPieceTokenizer::WordPieceTokenizer(std::unordered_map<std::string, int32_t> vocab,
                                       WordPieceOptions options)
    : Tokenizer(std::move(vocab)), options_(std::move(options)) {
}

// tokenize(): with do_lower_case, every character outside the special tokens (and outside
// non-special "normalized" added tokens) is lower-cased before added tokens are split out, so
// "[cls]" is ordinary text while "[CLS]" is the special token. The regex alternation tries the
// protected tokens in order, the first match wins.
std::string WordPieceTokenizer::prepare_text(std::string_view text) const {
  if (!options_.basic.do_lower_case) return std::string(text);
  std::vector<std::string> protected_tokens = special_tokens().all();
  for (const AddedToken& token : added_tokens()) {
    if (!token.special && token.normalized) protected_tokens.push_back(token.content);
  }
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool matched = false;
    for (const std::string& token : protected_tokens) {
      if (!token.empty() && text.compare(i, token.size(), token) == 0) {
        out += token;
        i += token.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    size_t len = 1;
    const uint8_t b0 = static_cast<uint8_t>(text[i]);
    if (b0 >= 0xF0) len = 4; else if (b0 >= 0xE0) len = 3; else if (b0 >= 0xC0) len = 2;
    std::u32string lowered;
    for (char32_t cp : decode_utf8_replace(text.substr(i, len))) append_lower(cp, lowered);
    out += encode_utf8(lowered);
    i += len;
  }
  return out;
}

void WordPieceTokenizer::wordpiece(const std::u32string& word, std::vector<std::string>& tokens) const {
  const std::string& unk = special_tokens().unk;
  if (word.size() > options_.max_input_chars_per_word) {
    tokens.push_back(unk);
    return;
  }
  std::vector<std::string> sub_tokens;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    std::string found;
    while (start < end) {
      std::string candidate = encode_utf8(std::u32string_view(word).substr(start, end - start));
      if (start > 0) candidate = options_.continuing_subword_prefix + candidate;
      if (base_has_token(candidate)) {
        found = std::move(candidate);
        break;
      }
      --end;
    }
    if (found.empty()) {
      tokens.push_back(unk);
      return;
    }
    sub_tokens.push_back(std::move(found));
    start = end;
  }
  for (std::string& token : sub_tokens) tokens.push_back(std::move(token));
}

void WordPieceTokenizer::tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const {
  const std::u32string text = decode_utf8_replace(piece);
  std::vector<std::string> tokens;
  if (options_.do_basic_tokenize) {
    std::vector<std::u32string> never_split;
    for (const std::string& token : special_tokens().all()) never_split.push_back(decode_utf8_replace(token));
    for (const std::string& token : options_.never_split) never_split.push_back(decode_utf8_replace(token));
    for (const std::u32string& word : basic_tokenize(text, options_.basic, never_split)) {
      const std::string utf8 = encode_utf8(word);
      bool kept = false;
      for (const std::string& token : options_.never_split) kept = kept || token == utf8;
      if (kept) {
        tokens.push_back(utf8);
      } else {
        wordpiece(word, tokens);
      }
    }
  } else {
    // WordpieceTokenizer.tokenize alone splits on whitespace itself.
    std::u32string word;
    for (char32_t cp : text) {
      if (is_python_space(cp)) {
        if (!word.empty()) wordpiece(word, tokens);
        word.clear();
      } else {
        word.push_back(cp);
      }
    }
    if (!word.empty()) wordpiece(word, tokens);
  }
  // _convert_token_to_id_with_added_voc: added tokens first, then vocab, else the unknown id.
  const int32_t unk = unk_id();
  for (const std::string& token : tokens) {
    const int32_t id = token_to_id(token);
    if (id >= 0) {
      ids.push_back(id);
    } else if (unk >= 0) {
      ids.push_back(unk);
    }
  }
}

void WordPieceTokenizer::wrap_with_special_tokens(std::vector<int32_t>& ids) const {
  const int32_t cls = special_token_id(SpecialRole::kCls);
  const int32_t sep = special_token_id(SpecialRole::kSep);
  if (cls >= 0) ids.insert(ids.begin(), cls);
  if (sep >= 0) ids.push_back(sep);
}

// " ".join(tokens).replace(" ##", "").strip()
std::string WordPieceTokenizer::tokens_to_string(const std::vector<std::string>& tokens) const {
  std::string joined;
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (k > 0) joined += ' ';
    joined += tokens[k];
  }
  std::string out;
  out.reserve(joined.size());
  const std::string marker = " " + options_.continuing_subword_prefix;
  size_t pos = 0;
  for (size_t hit; (hit = joined.find(marker, pos)) != std::string::npos; pos = hit + marker.size()) {
    out.append(joined, pos, hit - pos);
  }
  out.append(joined, pos, std::string::npos);
  return std::string(python_strip(out));
}

// convert_ids_to_tokens: added tokens, then ids_to_tokens.get(id, unk_token).
bool WordPieceTokenizer::id_to_token_for_decode(int32_t id, std::string& token) const {
  token = id_to_token(id);
  if (token.empty()) token = special_tokens().unk;
  return !token.empty();
}

}  // namespace vkcap::text
