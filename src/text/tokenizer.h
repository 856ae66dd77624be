#pragma once
// Tokenizers that match transformers 4.40's slow (pure-Python) tokenizers token for token:
// BertTokenizer (WordPiece, for BLIP), GPT2Tokenizer (byte-level BPE, for ViT-GPT2) and
// BartTokenizer (the same BPE with RoBERTa's ids and <s> ... </s> around the input, for Florence-2).
//
// The shared part of all three lives in this base class, as it does in HF's PreTrainedTokenizer:
// added tokens are split out of the text before the model's own tokenizer sees it, special
// tokens are skipped on decode when asked, and decode ends with clean_up_tokenization.
//
// Text in and out is UTF-8. Input that is not valid UTF-8 is first read the way Python reads
// `bytes.decode("utf-8", errors="replace")` (each maximal invalid subpart -> U+FFFD), so encode
// never fails on arbitrary bytes: BERT then drops U+FFFD like any other cleaned character, GPT-2
// encodes it as the bytes EF BF BD.
#include <bitset>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace vkcap::text {

// One entry of HF's `added_tokens_decoder` (tokenizer_config.json / tokenizer.json).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;       // eat whitespace on the left of the token
  bool rstrip = false;       // eat whitespace on the right
  bool single_word = false;  // only match as a whole word
  bool normalized = false;
};

// The attributes of HF's SpecialTokensMixin, in its SPECIAL_TOKENS_ATTRIBUTES order.
enum class SpecialRole { kBos, kEos, kUnk, kSep, kPad, kCls, kMask, kAdditional };

// Which token string plays each role ("" = unset). additional = additional_special_tokens.
struct SpecialTokens {
  std::string bos, eos, unk, sep, pad, cls, mask;
  std::vector<std::string> additional;
  std::vector<std::string> all() const;  // HF's all_special_tokens order, deduplicated
};

// How decode() joins and cleans its output (HF's decode keyword arguments).
struct DecodeOptions {
  bool skip_special_tokens = false;
  // clean_up_tokenization_spaces: unset = as the tokenizer config says (true by default).
  std::optional<bool> clean_up_tokenization_spaces;
  // Slow tokenizers decode each added token on its own and join the pieces with a space
  // ("car <loc_52> <loc_333>"); false joins them directly ("car<loc_52><loc_333>"), which is
  // what the fast (tokenizer.json) tokenizers give for the same ids.
  bool spaces_between_special_tokens = true;
};

class Tokenizer {
 public:
  virtual ~Tokenizer();

  // tokenizer(text)["input_ids"]; add_special_tokens wraps BERT input in [CLS] ... [SEP]
  // (GPT-2 adds nothing unless add_bos_token was configured).
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const;
  // tokenizer.decode(ids, skip_special_tokens) with clean_up_tokenization_spaces as configured
  // (true by default). Ids outside the vocabulary: BERT shows "[UNK]" (as HF does, and does not
  // skip it); GPT-2 drops them (HF's slow GPT-2 would raise a TypeError).
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const;
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens,
                     bool clean_up_tokenization_spaces) const;
  std::string decode(std::span<const int32_t> ids, const DecodeOptions& options) const;

  // Token strings as the model files spell them (GPT-2: byte-level, e.g. "Ġdog").
  std::vector<std::string> convert_ids_to_tokens(std::span<const int32_t> ids) const;
  int32_t token_to_id(std::string_view token) const;  // -1 if neither in vocab nor added
  std::string id_to_token(int32_t id) const;          // "" if unknown
  bool is_special(int32_t id) const;                  // in HF's all_special_ids
  // Base vocabulary (vocab.txt / vocab.json) without added tokens: HF's vocab_size.
  size_t vocab_size() const { return base_vocab_size(); }
  // len(tokenizer): base vocabulary plus added tokens that are not in it.
  size_t size() const;
  virtual std::string_view kind() const = 0;  // "wordpiece" or "bpe"

  const SpecialTokens& special_tokens() const { return special_; }
  // Id of the token playing `role` (first one for kAdditional), -1 when unset.
  int32_t special_token_id(SpecialRole role) const;
  const std::vector<AddedToken>& added_tokens() const { return added_; }

  // tokenizer.add_special_tokens({role: content}): content becomes the token for that role
  // (for kAdditional it replaces the list, as HF's default does) and, if it is neither in the
  // vocabulary nor added yet, it is added at id size(). Returns its id.
  int32_t add_special_token(SpecialRole role, std::string_view content);
  // tokenizer.add_special_tokens({'additional_special_tokens': additional + tokens}): each token
  // not yet known is added at the next id, in order; all of them become additional special
  // tokens (kept after the ones already there, without repeats).
  void append_additional_special_tokens(const std::vector<std::string>& tokens);

  // Configuration read by the loader (tokenizer_config.json); public for tests and tools.
  void set_special_tokens(SpecialTokens special);
  void add_token(AddedToken token);  // at token.id, or at size() when id < 0
  void add_tokens(std::vector<AddedToken> tokens);  // the same for many, in order
  void set_clean_up_tokenization_spaces(bool on) { clean_up_spaces_ = on; }
  // Adds every special token that is not yet an added token, as HF's __init__ does.
  void register_special_tokens();

 protected:
  // vocab: the model's own vocabulary, token -> id (vocab.txt line numbers, vocab.json, or
  // tokenizer.json's model.vocab); added tokens come later.
  explicit Tokenizer(std::unordered_map<std::string, int32_t> vocab);

  // Model vocabulary only (no added tokens).
  int32_t base_token_to_id(std::string_view token) const;
  std::string base_id_to_token(int32_t id) const;  // "" if outside
  size_t base_vocab_size() const { return vocab_.size(); }
  bool base_has_token(const std::string& token) const { return vocab_.count(token) != 0; }
  // HF's prepare_for_tokenization + the lower-casing done before splitting out added tokens.
  virtual std::string prepare_text(std::string_view text) const;
  // _tokenize + convert_tokens_to_ids for a piece of text holding no added token.
  virtual void tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const = 0;
  virtual void wrap_with_special_tokens(std::vector<int32_t>& ids) const = 0;
  // convert_tokens_to_string.
  virtual std::string tokens_to_string(const std::vector<std::string>& tokens) const = 0;
  // Text of an id for decoding ("" plus false if it should be dropped).
  virtual bool id_to_token_for_decode(int32_t id, std::string& token) const = 0;

  const AddedToken* find_added(std::string_view content) const;
  const AddedToken* find_added(int32_t id) const;
  int32_t unk_id() const;

 private:
  struct Piece {
    std::string text;
    const AddedToken* added = nullptr;
  };
  std::vector<Piece> split_on_added_tokens(const std::string& text) const;
  void insert_added(AddedToken token);  // add_token without the rebuild
  void rebuild_special_ids();

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> ids_to_tokens_;  // "" where no token has that id
  std::vector<AddedToken> added_;
  std::unordered_map<std::string, size_t> added_by_content_;
  std::unordered_map<int32_t, size_t> added_by_id_;
  SpecialTokens special_;
  std::vector<int32_t> special_ids_;  // sorted
  // Token strings _decode() treats as "legacy added tokens" (see decode()).
  std::unordered_set<std::string> legacy_added_;
  std::bitset<256> added_first_bytes_;  // first bytes of added tokens: where a split can start
  bool clean_up_spaces_ = true;
};

// Reads a Hugging Face model directory: vocab.txt (BERT), else vocab.json + merges.txt (GPT-2,
// or BART/RoBERTa when tokenizer_config.json's tokenizer_class says so), else tokenizer.json;
// plus added_tokens.json, tokenizer_config.json, special_tokens_map.json. A Florence-2 directory
// (see is_florence2_directory) also gets the tokens Florence2Processor adds at load time.
// Throws vkcap::Error naming the file on anything missing, malformed or absurdly large.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

// BLIP's init_tokenizer(): add_special_tokens({'bos_token': '[DEC]'}) then
// {'additional_special_tokens': ['[ENC]']}. The hub tokenizer of Salesforce/blip-image-captioning-*
// lacks both, while the model writes [DEC] = bos_token_id (30522 = len(vocab.txt)) as the first
// decoder input; after this call [DEC] has that id and decode(skip_special_tokens=true) drops it.
// Idempotent (the fixtures already carry both in added_tokens.json). Returns the [DEC] id.
int32_t add_blip_special_tokens(Tokenizer& tokenizer);

// The 1,024 tokens Florence2Processor.__init__ adds as additional special tokens, in their id
// order: <od> </od> <ocr> </ocr>, <loc_0> ... <loc_999>, then <cap> ... <and>.
const std::vector<std::string>& florence2_processor_tokens();
// Florence2Processor's add_special_tokens call: on the real BART vocabulary (50,265 entries)
// the missing tokens land at 50265..51288, 51,289 in all. Idempotent.
void add_florence2_tokens(Tokenizer& tokenizer);
// True when the directory's config.json, processor_config.json, preprocessor_config.json or
// tokenizer_config.json names Florence-2 (model_type "florence2", the architecture
// Florence2ForConditionalGeneration, or processor_class Florence2Processor).
bool is_florence2_directory(const std::filesystem::path& model_dir);

}  // namespace vkcap::text
