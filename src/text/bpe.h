#pragma once
// GPT2Tokenizer (slow): pre-tokenize, map UTF-8 bytes to printable characters, merge adjacent
// symbols by merge rank (lowest first, every occurrence left to right), look up vocab.json.
// Decoding joins the token strings, maps them back to bytes and reads those as UTF-8 with
// errors="replace". BartTokenizer and RobertaTokenizer are this same class with cls/sep wrapping.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "text/tokenizer.h"

namespace vkcap::text {

struct BpeOptions {
  bool add_prefix_space = false;
  bool add_bos_token = false;
  // RoBERTa/BART: build_inputs_with_special_tokens gives <s> ids </s> (cls, sep).
  bool wrap_cls_sep = false;
};

class BpeTokenizer final : public Tokenizer {
 public:
  // vocab: token -> id (vocab.json); merges in rank order (merges.txt without its header line).
  BpeTokenizer(std::unordered_map<std::string, int32_t> vocab,
               std::vector<std::pair<std::string, std::string>> merges, BpeOptions options);
  std::string_view kind() const override { return "bpe"; }

  // The BPE of one pre-token given as byte-level characters (e.g. "Ġpicture"), as token strings.
  std::vector<std::string> bpe(std::string_view word) const;

 protected:
  std::string prepare_text(std::string_view text) const override;
  void tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const override;
  void wrap_with_special_tokens(std::vector<int32_t>& ids) const override;
  std::string tokens_to_string(const std::vector<std::string>& tokens) const override;
  bool id_to_token_for_decode(int32_t id, std::string& token) const override;

 private:
  std::unordered_map<std::string, int32_t> merge_ranks_;  // key "left right"
  BpeOptions options_;
};

}  // namespace vkcap::text
