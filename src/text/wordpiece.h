#pragma once
// BertTokenizer (slow): BasicTokenizer words, then WordPiece greedy longest-match-first with
// "##" continuations; a word that cannot be covered, or is longer than
// max_input_chars_per_word code points, becomes the unknown token.
#include <string>
#include <unordered_map>
#include <vector>

#include "text/basic_tokenizer.h"
#include "text/tokenizer.h"

namespace vkcap::text {

struct WordPieceOptions {
  BasicTokenizerOptions basic;
  bool do_basic_tokenize = true;
  std::vector<std::string> never_split;  // the constructor's never_split (not the specials)
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

class WordPieceTokenizer final : public Tokenizer {
 public:
  // vocab: token -> id (vocab.txt line numbers, or tokenizer.json's model.vocab).
  WordPieceTokenizer(std::unordered_map<std::string, int32_t> vocab, WordPieceOptions options);
  std::string_view kind() const override { return "wordpiece"; }

 protected:
  std::string prepare_text(std::string_view text) const override;
  void tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const override;
  void wrap_with_special_tokens(std::vector<int32_t>& ids) const override;
  std::string tokens_to_string(const std::vector<std::string>& tokens) const override;
  bool id_to_token_for_decode(int32_t id, std::string& token) const override;

 private:
  void wordpiece(const std::u32string& word, std::vector<std::string>& tokens) const;

  WordPieceOptions options_;
};

}  // namespace vkcap::text
