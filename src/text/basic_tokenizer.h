#pragma once
// BERT's BasicTokenizer (models/bert/tokenization_bert.py, 4.40): clean text, space out CJK
// ideographs, split on whitespace, lower-case and strip accents, split off punctuation.
#include <optional>
#include <string>
#include <vector>

namespace vkcap::text {

struct BasicTokenizerOptions {
  bool do_lower_case = true;
  bool tokenize_chinese_chars = true;
  std::optional<bool> strip_accents;  // unset: follow do_lower_case
  bool do_split_on_punc = true;
};

// Words (as code points) for WordPiece. Tokens in never_split pass through unchanged.
std::vector<std::u32string> basic_tokenize(std::u32string_view text, const BasicTokenizerOptions& options,
                                           const std::vector<std::u32string>& never_split);

}  // namespace vkcap::text
