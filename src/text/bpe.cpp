#include "text/bpe.h"

#include <algorithm>
#include <limits>

#include "text/byte_level.h"
#include "text/gpt2_pretokenizer.h"
#include "text/unicode.h"

namespace vkcap::text {

BpeTokenizer::BpeTokenizer(std::unordered_map<std::string, int32_t> vocab,
                           std::vector<std::pair<std::string, std::string>> merges, BpeOptions options)
    : Tokenizer(std::move(vocab)), options_(options) {
  // dict(zip(merges, range(len(merges)))): a repeated merge keeps its last rank.
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    merge_ranks_[merges[rank].first + " " + merges[rank].second] = static_cast<int32_t>(rank);
  }
}

std::string BpeTokenizer::prepare_text(std::string_view text) const {
  std::string out;
  out.reserve(text.size() + 1);
  // GPT-2 always prepends the space; RoBERTa/BART only before a non-space first character.
  bool prefix = options_.add_prefix_space;
  if (prefix && options_.wrap_cls_sep) {
    const std::u32string first = decode_utf8_replace(text.substr(0, std::min<size_t>(text.size(), 4)));
    prefix = !first.empty() && !is_python_space(first.front());
  }
  if (prefix) out.push_back(' ');
  out.append(text);
  return out;
}

std::vector<std::string> BpeTokenizer::bpe(std::string_view word) const {
  std::vector<std::string> symbols;
  for (char32_t cp : decode_utf8_replace(word)) {
    symbols.emplace_back();
    append_utf8(cp, symbols.back());
  }
  // Quadratic in the word length, like the Python original; words are pre-tokens.
  while (symbols.size() > 1) {
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    size_t best = 0;
    for (size_t k = 0; k + 1 < symbols.size(); ++k) {
      auto it = merge_ranks_.find(symbols[k] + " " + symbols[k + 1]);
      if (it != merge_ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = k;
      }
    }
    if (best_rank == std::numeric_limits<int32_t>::max()) break;
    const std::string first = symbols[best], second = symbols[best + 1];
    std::vector<std::string> merged;
    merged.reserve(symbols.size());
    for (size_t k = 0; k < symbols.size();) {
      if (k + 1 < symbols.size() && symbols[k] == first && symbols[k + 1] == second) {
        merged.push_back(first + second);
        k += 2;
      } else {
        merged.push_back(std::move(symbols[k]));
        k += 1;
      }
    }
    symbols = std::move(merged);
  }
  return symbols;
}

void BpeTokenizer::tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const {
  const std::u32string text = decode_utf8_replace(piece);
  const int32_t unk = unk_id();
  for (std::u32string_view word : gpt2_pretokenize(text)) {
    for (const std::string& token : bpe(bytes_to_unicode_string(encode_utf8(word)))) {
      const int32_t id = token_to_id(token);  // encoder.get(token, encoder.get(unk_token))
      if (id >= 0) {
        ids.push_back(id);
      } else if (unk >= 0) {
        ids.push_back(unk);
      }
    }
  }
}

void BpeTokenizer::wrap_with_special_tokens(std::vector<int32_t>& ids) const {
  if (options_.wrap_cls_sep) {
    const int32_t cls = special_token_id(SpecialRole::kCls), sep = special_token_id(SpecialRole::kSep);
    if (cls >= 0) ids.insert(ids.begin(), cls);
    if (sep >= 0) ids.push_back(sep);
    return;
  }
  const int32_t bos = special_token_id(SpecialRole::kBos);
  if (options_.add_bos_token && bos >= 0) ids.insert(ids.begin(), bos);
}

// bytearray(byte_decoder[c] for c in "".join(tokens)).decode("utf-8", errors="replace").
// A character outside the byte map (only possible in hand-made added tokens; HF raises a
// KeyError there) contributes its own UTF-8 bytes.
std::string BpeTokenizer::tokens_to_string(const std::vector<std::string>& tokens) const {
  std::string bytes;
  for (const std::string& token : tokens) {
    for (char32_t cp : decode_utf8_replace(token)) {
      const int b = unicode_to_byte(cp);
      if (b >= 0) {
        bytes.push_back(static_cast<char>(b));
      } else {
        append_utf8(cp, bytes);
      }
    }
  }
  return encode_utf8(decode_utf8_replace(bytes));
}

bool BpeTokenizer::id_to_token_for_decode(int32_t id, std::string& token) const {
  token = id_to_token(id);
  return !token.empty();
}

}  // namespace vkcap::text
