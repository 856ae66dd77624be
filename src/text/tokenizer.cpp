// The model-independent half of HF's PreTrainedTokenizer (tokenization_utils.py, 4.40):
// added tokens, special tokens, tokenize()'s split and _decode()'s grouping.
#include "text/tokenizer.h"

#include <algorithm>

#include "text/cleanup.h"
#include "text/unicode.h"

namespace vkcap::text {

std::vector<std::string> SpecialTokens::all() const {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;  // Florence-2 has over a thousand of them
  auto add = [&](const std::string& token) {
    if (!token.empty() && seen.insert(token).second) out.push_back(token);
  };
  for (const std::string* token : {&bos, &eos, &unk, &sep, &pad, &cls, &mask}) add(*token);
  for (const std::string& token : additional) add(token);
  return out;
}

Tokenizer::Tokenizer(std::unordered_map<std::string, int32_t> vocab) : vocab_(std::move(vocab)) {
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab_) max_id = std::max(max_id, id);
  ids_to_tokens_.resize(static_cast<size_t>(max_id + 1));
  for (const auto& [token, id] : vocab_)
    if (id >= 0) ids_to_tokens_[static_cast<size_t>(id)] = token;
}

Tokenizer::~Tokenizer() = default;

int32_t Tokenizer::base_token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  return it == vocab_.end() ? -1 : it->second;
}

std::string Tokenizer::base_id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= ids_to_tokens_.size()) return {};
  return ids_to_tokens_[static_cast<size_t>(id)];
}

const AddedToken* Tokenizer::find_added(std::string_view content) const {
  auto it = added_by_content_.find(std::string(content));
  return it == added_by_content_.end() ? nullptr : &added_[it->second];
}

const AddedToken* Tokenizer::find_added(int32_t id) const {
  auto it = added_by_id_.find(id);
  return it == added_by_id_.end() ? nullptr : &added_[it->second];
}

int32_t Tokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* added = find_added(token)) return added->id;
  return base_token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* added = find_added(id)) return added->content;
  return base_id_to_token(id);
}

int32_t Tokenizer::unk_id() const { return special_.unk.empty() ? -1 : token_to_id(special_.unk); }

size_t Tokenizer::size() const {
  size_t n = base_vocab_size();
  for (const AddedToken& token : added_) {
    if (base_token_to_id(token.content) < 0) ++n;
  }
  return n;
}

bool Tokenizer::is_special(int32_t id) const {
  return std::binary_search(special_ids_.begin(), special_ids_.end(), id);
}

int32_t Tokenizer::special_token_id(SpecialRole role) const {
  const std::string* token = nullptr;
  switch (role) {
    case SpecialRole::kBos: token = &special_.bos; break;
    case SpecialRole::kEos: token = &special_.eos; break;
    case SpecialRole::kUnk: token = &special_.unk; break;
    case SpecialRole::kSep: token = &special_.sep; break;
    case SpecialRole::kPad: token = &special_.pad; break;
    case SpecialRole::kCls: token = &special_.cls; break;
    case SpecialRole::kMask: token = &special_.mask; break;
    case SpecialRole::kAdditional:
      if (special_.additional.empty()) return -1;
      token = &special_.additional.front();
      break;
  }
  return token->empty() ? -1 : token_to_id(*token);
}

void Tokenizer::set_special_tokens(SpecialTokens special) {
  special_ = std::move(special);
  rebuild_special_ids();
}

void Tokenizer::rebuild_special_ids() {
  // all_special_ids: convert_tokens_to_ids(all_special_tokens), unknown strings -> unk id.
  special_ids_.clear();
  const int32_t unk = unk_id();
  for (const std::string& token : special_.all()) {
    const int32_t id = token_to_id(token);
    if (id >= 0) {
      special_ids_.push_back(id);
    } else if (unk >= 0) {
      special_ids_.push_back(unk);
    }
  }
  std::sort(special_ids_.begin(), special_ids_.end());

  // _decode's legacy_added_tokens: added tokens that are not special tokens, plus additional
  // special tokens beyond the base vocabulary.
  legacy_added_.clear();
  const std::vector<std::string> all = special_.all();
  const std::unordered_set<std::string_view> all_special(all.begin(), all.end());
  for (const AddedToken& token : added_) {
    if (!all_special.contains(token.content)) legacy_added_.insert(token.content);
  }
  for (const std::string& token : special_.additional) {
    if (token_to_id(token) >= static_cast<int32_t>(base_vocab_size())) legacy_added_.insert(token);
  }
}

void Tokenizer::add_token(AddedToken token) {
  insert_added(std::move(token));
  rebuild_special_ids();
}

void Tokenizer::insert_added(AddedToken token) {
  if (token.content.empty()) return;
  added_first_bytes_.set(static_cast<uint8_t>(token.content.front()));
  if (token.id < 0) {
    const int32_t in_vocab = base_token_to_id(token.content);
    token.id = in_vocab >= 0 ? in_vocab : static_cast<int32_t>(size());
  }
  if (auto it = added_by_id_.find(token.id); it != added_by_id_.end()) {
    added_by_content_.erase(added_[it->second].content);
    added_[it->second] = token;
    added_by_content_[token.content] = it->second;
  } else {
    if (auto old = added_by_content_.find(token.content); old != added_by_content_.end()) {
      added_by_id_.erase(added_[old->second].id);  // a later entry moves the content to a new id
    }
    added_.push_back(token);
    added_by_id_[token.id] = added_.size() - 1;
    added_by_content_[token.content] = added_.size() - 1;
  }
}

void Tokenizer::add_tokens(std::vector<AddedToken> tokens) {
  for (AddedToken& token : tokens) insert_added(std::move(token));
  rebuild_special_ids();
}

void Tokenizer::register_special_tokens() {
  for (const std::string& content : special_.all()) {
    if (find_added(content)) continue;
    AddedToken token;
    token.content = content;
    token.special = true;
    insert_added(std::move(token));
  }
  rebuild_special_ids();
}

int32_t Tokenizer::add_special_token(SpecialRole role, std::string_view content) {
  std::string value(content);
  switch (role) {
    case SpecialRole::kBos: special_.bos = value; break;
    case SpecialRole::kEos: special_.eos = value; break;
    case SpecialRole::kUnk: special_.unk = value; break;
    case SpecialRole::kSep: special_.sep = value; break;
    case SpecialRole::kPad: special_.pad = value; break;
    case SpecialRole::kCls: special_.cls = value; break;
    case SpecialRole::kMask: special_.mask = value; break;
    case SpecialRole::kAdditional: special_.additional = {value}; break;
  }
  if (!find_added(value)) {
    AddedToken token;
    token.content = value;
    token.special = true;
    add_token(token);
  }
  rebuild_special_ids();
  return token_to_id(value);
}

std::string Tokenizer::prepare_text(std::string_view text) const { return std::string(text); }

// tokens_trie.split(): the leftmost match, and of the matches starting there the longest.
std::vector<Tokenizer::Piece> Tokenizer::split_on_added_tokens(const std::string& text) const {
  std::vector<Piece> pieces;
  size_t plain_start = 0, i = 0;
  while (i < text.size()) {
    if (!added_first_bytes_[static_cast<uint8_t>(text[i])]) {
      ++i;
      continue;
    }
    const AddedToken* best = nullptr;
    for (const AddedToken& token : added_) {
      if (text.compare(i, token.content.size(), token.content) == 0 &&
          (!best || token.content.size() > best->content.size())) {
        best = &token;
      }
    }
    if (!best) {
      ++i;
      continue;
    }
    if (i > plain_start) pieces.push_back({text.substr(plain_start, i - plain_start), nullptr});
    pieces.push_back({best->content, best});
    i += best->content.size();
    plain_start = i;
  }
  if (plain_start < text.size()) pieces.push_back({text.substr(plain_start), nullptr});

  // The AddedToken options, applied to the neighbours exactly as tokenize() does.
  for (size_t k = 0; k < pieces.size(); ++k) {
    const AddedToken* token = pieces[k].added;
    if (!token) continue;
    Piece* left = k > 0 && !pieces[k - 1].text.empty() ? &pieces[k - 1] : nullptr;
    Piece* right = k + 1 < pieces.size() && !pieces[k + 1].text.empty() ? &pieces[k + 1] : nullptr;
    if (token->rstrip && right) right->text = std::string(python_lstrip(right->text));
    if (token->lstrip && left) left->text = std::string(python_rstrip(left->text));
    if (token->single_word && left && !left->text.empty() && left->text.back() != ' ') {
      left->text += pieces[k].text;
      left->added = nullptr;  // HF re-tokenizes the merged text as ordinary text
      pieces[k].text.clear();
    } else if (token->single_word && right && !right->text.empty() && right->text.front() != ' ') {
      pieces[k].text += right->text;
      pieces[k].added = nullptr;
      right->text.clear();
    }
  }
  return pieces;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  const std::string valid = encode_utf8(decode_utf8_replace(text));
  std::vector<int32_t> ids;
  for (const Piece& piece : split_on_added_tokens(prepare_text(valid))) {
    if (piece.text.empty()) continue;
    if (piece.added) {
      ids.push_back(piece.added->id);
    } else {
      tokenize_piece(piece.text, ids);
    }
  }
  if (add_special_tokens) wrap_with_special_tokens(ids);
  return ids;
}

std::vector<std::string> Tokenizer::convert_ids_to_tokens(std::span<const int32_t> ids) const {
  std::vector<std::string> tokens;
  std::string token;
  for (int32_t id : ids) {
    if (id_to_token_for_decode(id, token)) tokens.push_back(token);
  }
  return tokens;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return decode(ids, skip_special_tokens, clean_up_spaces_);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens,
                              bool clean_up_tokenization_spaces) const {
  DecodeOptions options;
  options.skip_special_tokens = skip_special_tokens;
  options.clean_up_tokenization_spaces = clean_up_tokenization_spaces;
  return decode(ids, options);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, const DecodeOptions& options) const {
  // "Legacy added tokens" (legacy_added_) are decoded on their own and the pieces joined with
  // spaces (_decode, 4.40); everything else goes through tokens_to_string in runs.
  std::vector<std::string> sub_texts, current;
  std::string token;
  for (int32_t id : ids) {
    if (options.skip_special_tokens && is_special(id)) continue;
    if (!id_to_token_for_decode(id, token)) continue;
    if (legacy_added_.contains(token)) {
      if (!current.empty()) {
        std::string text = tokens_to_string(current);
        if (!text.empty()) sub_texts.push_back(std::move(text));
        current.clear();
      }
      sub_texts.push_back(token);
    } else {
      current.push_back(token);
    }
  }
  if (!current.empty()) sub_texts.push_back(tokens_to_string(current));
  std::string text;
  for (size_t k = 0; k < sub_texts.size(); ++k) {
    if (k > 0 && options.spaces_between_special_tokens) text += ' ';
    text += sub_texts[k];
  }
  const bool clean_up = options.clean_up_tokenization_spaces.value_or(clean_up_spaces_);
  return clean_up ? clean_up_tokenization(std::move(text)) : text;
}

void Tokenizer::append_additional_special_tokens(const std::vector<std::string>& tokens) {
  std::unordered_set<std::string> listed(special_.additional.begin(), special_.additional.end());
  for (const std::string& content : tokens) {
    if (content.empty()) continue;
    if (listed.insert(content).second) special_.additional.push_back(content);
    if (find_added(content)) continue;
    AddedToken token;
    token.content = content;
    token.special = true;
    insert_added(std::move(token));  // one rebuild at the end: this can be a thousand tokens
  }
  rebuild_special_ids();
}

int32_t add_blip_special_tokens(Tokenizer& tokenizer) {
  const int32_t dec = tokenizer.add_special_token(SpecialRole::kBos, "[DEC]");
  tokenizer.add_special_token(SpecialRole::kAdditional, "[ENC]");
  return dec;
}

}  // namespace vkcap::text
