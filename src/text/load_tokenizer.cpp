// load_tokenizer(): builds the slow tokenizer transformers 4.40 would build from a model
// directory (AutoTokenizer.from_pretrained(dir, use_fast=False)), and for Florence-2 what its
// processor then adds.
#include <algorithm>
#include <optional>

#include "text/bpe.h"
#include "text/tokenizer.h"
#include "text/vocab_files.h"
#include "text/wordpiece.h"
#include "util/error.h"

namespace vkcap::text {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One named JSON file and typed access to its optional fields, with errors naming both.
struct JsonFile {
  fs::path path;
  json root = json::object();

  static JsonFile read_if_present(const fs::path& path) {
    JsonFile file{path};
    if (fs::exists(path)) file.root = read_json_file(path);
    if (!file.root.is_object()) throw Error(path.string() + ": top level is not a JSON object");
    return file;
  }
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw Error(path.string() + ": " + field + " " + problem);
  }
  bool get_bool(const json& object, const std::string& key, bool fallback) const {
    if (!object.contains(key) || object[key].is_null()) return fallback;
    if (!object[key].is_boolean()) fail(key, "is " + object[key].dump() + ", expected true or false");
    return object[key].get<bool>();
  }
  std::optional<bool> get_optional_bool(const std::string& key) const {
    if (!root.contains(key) || root[key].is_null()) return std::nullopt;
    return get_bool(root, key, false);
  }
  // A token given as "text" or as {"content": "text", ...}; nullopt when absent, "" when null.
  std::optional<std::string> get_token(const json& value, const std::string& field) const {
    if (value.is_null()) return std::string();
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value["content"].is_string()) {
      return value["content"].get<std::string>();
    }
    fail(field, "is " + value.dump().substr(0, 80) + ", expected a token string");
  }
};

// tokenizer_config.json / special_tokens_map.json keys onto the roles (later files win).
void apply_special_tokens(const JsonFile& file, SpecialTokens& special) {
  const std::pair<const char*, std::string*> roles[] = {
      {"bos_token", &special.bos}, {"eos_token", &special.eos}, {"unk_token", &special.unk},
      {"sep_token", &special.sep}, {"pad_token", &special.pad}, {"cls_token", &special.cls},
      {"mask_token", &special.mask}};
  for (const auto& [key, slot] : roles) {
    if (file.root.contains(key)) *slot = *file.get_token(file.root[key], key);
  }
  if (file.root.contains("additional_special_tokens")) {
    const json& list = file.root["additional_special_tokens"];
    if (list.is_null()) return;
    if (!list.is_array()) file.fail("additional_special_tokens", "is not a list");
    special.additional.clear();
    for (const json& item : list) {
      std::string token = *file.get_token(item, "additional_special_tokens[]");
      if (!token.empty()) special.additional.push_back(std::move(token));
    }
  }
}

AddedToken parse_added_token(const JsonFile& file, const json& value, int64_t id, const std::string& field) {
  if (id < 0 || id >= static_cast<int64_t>(kMaxVocabEntries)) file.fail(field, "has id " + std::to_string(id) + " out of range");
  if (!value.is_object()) file.fail(field, "is not an object");
  AddedToken token;
  token.id = static_cast<int32_t>(id);
  token.content = *file.get_token(value, field);
  if (token.content.empty()) file.fail(field, "has empty content");
  token.special = file.get_bool(value, "special", false);
  token.lstrip = file.get_bool(value, "lstrip", false);
  token.rstrip = file.get_bool(value, "rstrip", false);
  token.single_word = file.get_bool(value, "single_word", false);
  token.normalized = file.get_bool(value, "normalized", !token.special);
  return token;
}

// added_tokens_decoder of tokenizer_config.json: {"id": {...}}.
std::vector<AddedToken> added_tokens_decoder(const JsonFile& config) {
  std::vector<AddedToken> tokens;
  if (!config.root.contains("added_tokens_decoder")) return tokens;
  const json& decoder = config.root["added_tokens_decoder"];
  if (!decoder.is_object()) config.fail("added_tokens_decoder", "is not an object");
  for (const auto& [key, value] : decoder.items()) {
    int64_t id = -1;
    try {
      size_t used = 0;
      id = std::stoll(key, &used);
      if (used != key.size()) id = -1;
    } catch (const std::exception&) {
    }
    tokens.push_back(parse_added_token(config, value, id, "added_tokens_decoder[\"" + key + "\"]"));
  }
  return tokens;
}

// tokenizer.json's "added_tokens": [{"id": n, "content": ...}, ...].
std::vector<AddedToken> tokenizer_json_added_tokens(const JsonFile& file) {
  std::vector<AddedToken> tokens;
  if (!file.root.contains("added_tokens") || file.root["added_tokens"].is_null()) return tokens;
  const json& list = file.root["added_tokens"];
  if (!list.is_array()) file.fail("added_tokens", "is not a list");
  for (size_t k = 0; k < list.size(); ++k) {
    const std::string field = "added_tokens[" + std::to_string(k) + "]";
    if (!list[k].is_object() || !list[k].contains("id") || !list[k]["id"].is_number_integer()) {
      file.fail(field, "has no integer id");
    }
    tokens.push_back(parse_added_token(file, list[k], list[k]["id"].get<int64_t>(), field));
  }
  return tokens;
}

WordPieceOptions wordpiece_options(const JsonFile& config) {
  WordPieceOptions options;
  options.basic.do_lower_case = config.get_bool(config.root, "do_lower_case", true);
  options.basic.tokenize_chinese_chars = config.get_bool(config.root, "tokenize_chinese_chars", true);
  options.basic.strip_accents = config.get_optional_bool("strip_accents");
  options.do_basic_tokenize = config.get_bool(config.root, "do_basic_tokenize", true);
  if (config.root.contains("never_split") && !config.root["never_split"].is_null()) {
    const json& list = config.root["never_split"];
    if (!list.is_array()) config.fail("never_split", "is not a list");
    for (const json& item : list) options.never_split.push_back(*config.get_token(item, "never_split[]"));
  }
  return options;
}

std::unique_ptr<Tokenizer> wordpiece_from_tokenizer_json(const JsonFile& file, WordPieceOptions options,
                                                         SpecialTokens& special) {
  const json& model = file.root["model"];
  Vocab vocab = vocab_from_json(model.contains("vocab") ? model["vocab"] : json(), file.path, "model.vocab");
  if (model.contains("unk_token")) special.unk = *file.get_token(model["unk_token"], "model.unk_token");
  if (model.contains("continuing_subword_prefix") && model["continuing_subword_prefix"].is_string()) {
    options.continuing_subword_prefix = model["continuing_subword_prefix"].get<std::string>();
  }
  if (model.contains("max_input_chars_per_word") && model["max_input_chars_per_word"].is_number_unsigned()) {
    options.max_input_chars_per_word = model["max_input_chars_per_word"].get<size_t>();
  }
  // BertNormalizer {"lowercase", "strip_accents", "handle_chinese_chars"} = BasicTokenizer options.
  if (file.root.contains("normalizer") && file.root["normalizer"].is_object()) {
    const json& normalizer = file.root["normalizer"];
    // Checked before comparing: json::value() throws its own type_error for a non-string.
    const bool bert = normalizer.contains("type") && normalizer["type"].is_string() &&
                      normalizer["type"].get<std::string>() == "BertNormalizer";
    if (bert) {
      options.basic.do_lower_case = file.get_bool(normalizer, "lowercase", true);
      options.basic.tokenize_chinese_chars = file.get_bool(normalizer, "handle_chinese_chars", true);
      if (normalizer.contains("strip_accents") && !normalizer["strip_accents"].is_null()) {
        options.basic.strip_accents = file.get_bool(normalizer, "strip_accents", true);
      }
    }
  }
  return std::make_unique<WordPieceTokenizer>(std::move(vocab), std::move(options));
}

std::unique_ptr<Tokenizer> bpe_from_tokenizer_json(const JsonFile& file, BpeOptions options) {
  const json& model = file.root["model"];
  Vocab vocab = vocab_from_json(model.contains("vocab") ? model["vocab"] : json(), file.path, "model.vocab");
  if (!model.contains("merges") || !model["merges"].is_array()) file.fail("model.merges", "is missing or not a list");
  const json& list = model["merges"];
  if (list.size() > kMaxVocabEntries) file.fail("model.merges", "has more than " + std::to_string(kMaxVocabEntries) + " entries");
  Merges merges;
  for (size_t k = 0; k < list.size(); ++k) {
    const json& item = list[k];
    const std::string field = "model.merges[" + std::to_string(k) + "]";
    if (item.is_string()) {  // "left right"
      const std::string text = item.get<std::string>();
      const size_t space = text.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 >= text.size() ||
          text.find(' ', space + 1) != std::string::npos) {
        file.fail(field, "is \"" + text.substr(0, 80) + "\", expected two tokens \"left right\"");
      }
      merges.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (item.is_array() && item.size() == 2 && item[0].is_string() && item[1].is_string()) {
      merges.emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
    } else {
      file.fail(field, "is not a pair of tokens");
    }
  }
  if (file.root.contains("pre_tokenizer") && file.root["pre_tokenizer"].is_object()) {
    options.add_prefix_space = file.get_bool(file.root["pre_tokenizer"], "add_prefix_space", options.add_prefix_space);
  }
  return std::make_unique<BpeTokenizer>(std::move(vocab), std::move(merges), options);
}

// BartTokenizer and RobertaTokenizer (slow or fast): GPT-2's byte-level BPE with <s> ... </s>
// around the input and RoBERTa's special tokens.
bool is_roberta_family(const JsonFile& config) {
  if (!config.root.contains("tokenizer_class") || !config.root["tokenizer_class"].is_string()) return false;
  const std::string name = config.root["tokenizer_class"].get<std::string>();
  return name.starts_with("BartTokenizer") || name.starts_with("RobertaTokenizer");
}

bool has_roberta_post_processor(const JsonFile& tokenizer_json) {
  const json& root = tokenizer_json.root;
  return root.contains("post_processor") && root["post_processor"].is_object() &&
         root["post_processor"].contains("type") && root["post_processor"]["type"] == "RobertaProcessing";
}

// RobertaTokenizer.__init__ defaults; <mask> eats the spaces on its left.
SpecialTokens roberta_special_tokens() { return {"<s>", "</s>", "<unk>", "</s>", "<pad>", "<s>", "<mask>", {}}; }

// BertTokenizer.__init__ defaults.
SpecialTokens bert_special_tokens() { return {"", "", "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]", {}}; }

// A byte-level BPE tokenizer's defaults: RobertaTokenizer's (BART, Florence-2) or GPT2Tokenizer's.
SpecialTokens bpe_special_tokens(bool roberta) {
  return roberta ? roberta_special_tokens()
                 : SpecialTokens{"<|endoftext|>", "<|endoftext|>", "<|endoftext|>", "", "", "", "", {}};
}

BpeOptions bpe_options(const JsonFile& config, bool roberta) {
  BpeOptions options;
  options.add_prefix_space = config.get_bool(config.root, "add_prefix_space", false);
  options.add_bos_token = config.get_bool(config.root, "add_bos_token", false);
  options.wrap_cls_sep = roberta;
  return options;
}

void add_roberta_mask_default(const Tokenizer& tokenizer, std::vector<AddedToken>& added) {
  const int32_t id = tokenizer.token_to_id("<mask>");
  if (id < 0) return;
  for (const AddedToken& token : added) {
    if (token.id == id || token.content == "<mask>") return;  // the files say how it behaves
  }
  AddedToken mask;
  mask.content = "<mask>";
  mask.id = id;
  mask.special = true;
  mask.lstrip = true;
  added.insert(added.begin(), mask);
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& model_dir) {
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) throw Error(model_dir.string() + ": not a directory");
  const fs::path vocab_txt = model_dir / "vocab.txt", vocab_json = model_dir / "vocab.json",
                 merges_txt = model_dir / "merges.txt", tokenizer_json = model_dir / "tokenizer.json";
  const JsonFile config = JsonFile::read_if_present(model_dir / "tokenizer_config.json");
  const JsonFile special_map = JsonFile::read_if_present(model_dir / "special_tokens_map.json");

  std::unique_ptr<Tokenizer> tokenizer;
  SpecialTokens special;
  std::vector<AddedToken> added = added_tokens_decoder(config);
  const bool has_bpe_files = fs::exists(vocab_json) && fs::exists(merges_txt);
  const bool florence2 = is_florence2_directory(model_dir);  // always a BartTokenizer
  bool roberta = florence2 || is_roberta_family(config);
  if (fs::exists(vocab_txt)) {
    special = bert_special_tokens();
    tokenizer = std::make_unique<WordPieceTokenizer>(read_vocab_txt(vocab_txt), wordpiece_options(config));
  } else if (has_bpe_files) {
    special = bpe_special_tokens(roberta);
    tokenizer = std::make_unique<BpeTokenizer>(read_vocab_json(vocab_json), read_merges_txt(merges_txt),
                                               bpe_options(config, roberta));
  } else if (fs::exists(tokenizer_json)) {
    const JsonFile file = JsonFile::read_if_present(tokenizer_json);
    if (!file.root.contains("model") || !file.root["model"].is_object()) file.fail("model", "is missing");
    const json& model = file.root["model"];
    const std::string type = model.contains("type") && model["type"].is_string() ? model["type"].get<std::string>()
                             : model.contains("merges")                          ? "BPE"
                                                                                 : "WordPiece";
    if (type == "WordPiece") {
      special = bert_special_tokens();
      tokenizer = wordpiece_from_tokenizer_json(file, wordpiece_options(config), special);
    } else if (type == "BPE") {
      roberta = roberta || has_roberta_post_processor(file);
      special = bpe_special_tokens(roberta);
      tokenizer = bpe_from_tokenizer_json(file, bpe_options(config, roberta));
    } else {
      file.fail("model.type", "is \"" + type + "\"; only WordPiece and BPE are supported");
    }
    if (added.empty()) added = tokenizer_json_added_tokens(file);
  } else {
    throw Error(model_dir.string() +
                ": no tokenizer found (expected vocab.txt, vocab.json + merges.txt, or tokenizer.json)");
  }

  apply_special_tokens(config, special);
  apply_special_tokens(special_map, special);
  tokenizer->set_clean_up_tokenization_spaces(config.get_bool(config.root, "clean_up_tokenization_spaces", true));
  if (roberta) add_roberta_mask_default(*tokenizer, added);
  tokenizer->add_tokens(std::move(added));

  // Legacy added_tokens.json: {"token": id}; special when it names a special token.
  const JsonFile added_json = JsonFile::read_if_present(model_dir / "added_tokens.json");
  const std::vector<std::string> all_special = special.all();
  std::vector<AddedToken> legacy_added;
  for (const auto& [content, id] : added_json.root.items()) {
    if (!id.is_number_integer()) added_json.fail("\"" + content + "\"", "is " + id.dump() + ", expected an id");
    AddedToken token;
    token.content = content;
    token.special = std::find(all_special.begin(), all_special.end(), content) != all_special.end();
    token.normalized = !token.special;
    const int64_t value = id.get<int64_t>();
    if (value < 0 || value >= static_cast<int64_t>(kMaxVocabEntries) || content.empty()) {
      added_json.fail("\"" + content + "\"", "has id " + std::to_string(value) + " out of range");
    }
    token.id = static_cast<int32_t>(value);
    legacy_added.push_back(std::move(token));
  }
  tokenizer->add_tokens(std::move(legacy_added));
  tokenizer->set_special_tokens(std::move(special));
  tokenizer->register_special_tokens();
  if (florence2) add_florence2_tokens(*tokenizer);
  return tokenizer;
}

}  // namespace vkcap::text
