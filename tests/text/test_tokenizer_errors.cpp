// Loading refuses broken tokenizer files with one-line errors naming the file; encode and
// decode never fail on arbitrary input.
#include <doctest/doctest.h>

#include <random>

#include "text/tokenizer.h"
#include "text/unicode.h"
#include "text_fixtures.h"
#include "util/error.h"

using namespace vkcap::text;
using namespace vkcap::text::testing;
namespace fs = std::filesystem;

namespace {

// A fresh scratch directory under the build tree, removed at the end of the test.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name) : path(fs::path(VKCAP_BINARY_DIR) / "test_text_scratch" / name) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() { fs::remove_all(path); }
  void write(const std::string& file, const std::string& content) const {
    std::ofstream(path / file, std::ios::binary) << content;
  }
};

std::string load_error(const fs::path& dir) {
  try {
    load_tokenizer(dir);
  } catch (const vkcap::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a directory without tokenizer files is refused, naming the directory") {
  ScratchDir dir("empty");
  const std::string message = load_error(dir.path);
  CHECK(message == dir.path.string() +
                       ": no tokenizer found (expected vocab.txt, vocab.json + merges.txt, or tokenizer.json)");
  CHECK(load_error(dir.path / "missing").find("not a directory") != std::string::npos);
}

TEST_CASE("vocab.json without merges.txt is not a tokenizer") {
  ScratchDir dir("json_only");
  dir.write("vocab.json", R"({"a": 0})");
  CHECK(load_error(dir.path).find("no tokenizer found") != std::string::npos);
}

TEST_CASE("malformed vocab.json is refused, naming the file") {
  ScratchDir dir("bad_json");
  dir.write("vocab.json", R"({"a": 0, "b": )");
  dir.write("merges.txt", "#version: 0.2\na b\n");
  const std::string message = load_error(dir.path);
  CHECK(message.find((dir.path / "vocab.json").string() + ": not valid JSON") == 0);
  dir.write("vocab.json", R"({"a": "zero"})");
  CHECK(load_error(dir.path).find("vocab.json: vocabulary[\"a\"] = \"zero\"") != std::string::npos);
  dir.write("vocab.json", R"(["a", "b"])");
  CHECK(load_error(dir.path).find("is not a JSON object") != std::string::npos);
}

TEST_CASE("a truncated merges line is refused with its line number") {
  ScratchDir dir("bad_merges");
  dir.write("vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  dir.write("merges.txt", "#version: 0.2\na b\nab\n");
  CHECK(load_error(dir.path) == (dir.path / "merges.txt").string() +
                                    ": line 3 has 1 fields, expected two tokens \"left right\"");
  dir.write("merges.txt", "#version: 0.2\na b c\n");
  CHECK(load_error(dir.path).find("line 2 has 3 fields") != std::string::npos);
}

TEST_CASE("a merges file without a final newline loses its last line, as in transformers") {
  ScratchDir dir("merges_no_newline");
  dir.write("vocab.json", R"({"a": 0, "b": 1, "ab": 2, "<|endoftext|>": 3})");
  dir.write("merges.txt", "#version: 0.2\na b");
  CHECK(load_tokenizer(dir.path)->encode("ab", false) == std::vector<int32_t>{0, 1});
  dir.write("merges.txt", "#version: 0.2\na b\n");
  CHECK(load_tokenizer(dir.path)->encode("ab", false) == std::vector<int32_t>{2});
}

TEST_CASE("absurd vocab.txt lines and invalid UTF-8 are refused") {
  ScratchDir dir("bad_vocab_txt");
  dir.write("vocab.txt", "[PAD]\n" + std::string((1 << 20) + 1, 'x') + "\n");
  CHECK(load_error(dir.path).find("vocab.txt: line 2 is longer than") != std::string::npos);
  dir.write("vocab.txt", "[PAD]\n\xff\xfe\n");
  CHECK(load_error(dir.path).find("vocab.txt: invalid UTF-8 at byte 6") != std::string::npos);
}

TEST_CASE("malformed tokenizer_config.json and tokenizer.json are refused, naming the file") {
  ScratchDir dir("bad_config");
  dir.write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n");
  dir.write("tokenizer_config.json", "{\"do_lower_case\": \"yes\"}");
  CHECK(load_error(dir.path) == (dir.path / "tokenizer_config.json").string() +
                                    ": do_lower_case is \"yes\", expected true or false");
  ScratchDir json_dir("bad_tokenizer_json");
  json_dir.write("tokenizer.json", R"({"model": {"type": "Unigram", "vocab": []}})");
  CHECK(load_error(json_dir.path).find("tokenizer.json: model.type is \"Unigram\"") != std::string::npos);
  json_dir.write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}})");
  CHECK(load_error(json_dir.path).find("model.merges[0]") != std::string::npos);
}

TEST_CASE("vocab.txt accepts CRLF line ends like Python's universal newlines") {
  ScratchDir dir("crlf");
  dir.write("vocab.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\ndog\r\n");
  auto tokenizer = load_tokenizer(dir.path);
  CHECK(tokenizer->encode("Dog", true) == std::vector<int32_t>{2, 5, 3});
}

TEST_CASE("UTF-8 is decoded with CPython's replacement rules") {
  CHECK(decode_utf8_replace("a\xC3") == U"a\uFFFD");
  CHECK(decode_utf8_replace("\xE2\x82") == U"\uFFFD");            // truncated: one U+FFFD
  CHECK(decode_utf8_replace("\xF4\x90\x80\x80") == U"\uFFFD\uFFFD\uFFFD\uFFFD");
  CHECK(decode_utf8_replace("\xED\xA0\x80") == U"\uFFFD\uFFFD\uFFFD");  // surrogate
  CHECK(decode_utf8_replace("\xC0\xAF") == U"\uFFFD\uFFFD");      // overlong
  CHECK(decode_utf8_replace("\xF0\x9F\x98\x80") == U"\U0001F600");
}

TEST_CASE("arbitrary bytes never break encode or decode") {
  auto bert = load_tokenizer(text_fixtures() / "bert-base-uncased");
  add_blip_special_tokens(*bert);
  auto gpt2 = load_tokenizer(text_fixtures() / "gpt2");
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(round % 3 == 0 ? (rng() % 128) : rng() % 256);
    for (Tokenizer* tokenizer : {bert.get(), gpt2.get()}) {
      const auto ids = tokenizer->encode(bytes, true);
      for (int32_t id : ids) CHECK((id >= 0 && id < static_cast<int32_t>(tokenizer->size())));
      const std::string text = tokenizer->decode(ids, round % 2 == 0);
      CHECK(encode_utf8(decode_utf8_replace(text)) == text);  // always valid UTF-8
    }
    // GPT-2 is lossless on valid UTF-8 input.
    const std::string valid = encode_utf8(decode_utf8_replace(bytes));
    CHECK(gpt2->decode(gpt2->encode(valid, false), false, false) == valid);
    std::vector<int32_t> random_ids(rng() % 16);
    for (int32_t& id : random_ids) id = static_cast<int32_t>(rng() % 60000) - 100;
    for (Tokenizer* tokenizer : {bert.get(), gpt2.get()}) {
      const std::string text = tokenizer->decode(random_ids, round % 2 == 0);
      CHECK(encode_utf8(decode_utf8_replace(text)) == text);
    }
  }
}

TEST_CASE("a BPE tokenizer.json gives the same ids as vocab.json + merges.txt") {
  const fs::path source = fixtures() / "vitgpt2_tiny_a";
  auto from_files = load_tokenizer(source);
  nlohmann::json model = {{"type", "BPE"}, {"vocab", read_json(source / "vocab.json")}, {"merges", nlohmann::json::array()}};
  std::ifstream merges(source / "merges.txt");
  std::string line;
  std::getline(merges, line);  // header
  while (std::getline(merges, line)) {
    if (!line.empty()) model["merges"].push_back(line);
  }
  nlohmann::json root = {{"model", model},
                         {"added_tokens", {{{"id", 279}, {"content", "<|endoftext|>"}, {"special", true}}}}};
  ScratchDir dir("bpe_tokenizer_json");
  dir.write("tokenizer.json", root.dump());
  auto from_json = load_tokenizer(dir.path);
  CHECK(from_json->kind() == "bpe");
  for (const char* text : {"a picture of a cat", "Hello, World! 123", " leading space", "café ☃<|endoftext|>"}) {
    CAPTURE(text);
    CHECK(from_json->encode(text, true) == from_files->encode(text, true));
  }
  const std::vector<int32_t> ids = {279, 64, 261, 72, 279};
  CHECK(from_json->decode(ids, true) == "a pi");  // <|endoftext|> is special, so skipped
}
