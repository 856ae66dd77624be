// Tokenizer files that once crashed the loader (also kept as regress_* inputs of
// tests/fuzz/corpus/tokenizer_files, replayed by test_fuzz_replay).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "text/tokenizer.h"
#include "util/error.h"

TEST_CASE("a tokenizer_config.json nested a million levels deep is an error naming it") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "vkcap-fuzz-regress-tokenizer";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n";
  std::ofstream(dir / "tokenizer_config.json")
      << R"({"model_max_length": )" << std::string(1'000'000, '[') << std::string(1'000'000, ']') << "}";
  std::string message;
  try {
    vkcap::text::load_tokenizer(dir);
  } catch (const vkcap::Error& e) {
    message = e.what();
  }
  CHECK(message.starts_with((dir / "tokenizer_config.json").string() + ": JSON nests deeper than 256 levels"));
  fs::remove_all(dir);
}

TEST_CASE("tokenizer.json whose normalizer type is not a string loads instead of escaping a json exception") {
  // json::value("type", "") threw nlohmann's type_error, which no caller expects.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "vkcap-fuzz-regress-normalizer";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json")
      << R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}}, "normalizer": {"type": 5}})";
  const auto tokenizer = vkcap::text::load_tokenizer(dir);
  CHECK(tokenizer->kind() == "wordpiece");
  CHECK(tokenizer->encode("a", false) == std::vector<int32_t>{1});
  fs::remove_all(dir);
}
