#pragma once
// Readers for the tokenizer files of a Hugging Face model directory, with bounds: each throws
// vkcap::Error naming the file (and line or field) when it is missing, malformed or absurd.
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vkcap::text {

// Far above any real vocabulary (BERT 30522, GPT-2 50257, the largest LLM ones ~260k).
inline constexpr size_t kMaxVocabEntries = 4'000'000;
inline constexpr size_t kMaxLineBytes = 1 << 20;
inline constexpr uintmax_t kMaxJsonBytes = 512ull << 20;

using Vocab = std::unordered_map<std::string, int32_t>;
using Merges = std::vector<std::pair<std::string, std::string>>;

// The whole file as text (must be valid UTF-8 when utf8 is set).
std::string read_text_file(const std::filesystem::path& path, uintmax_t max_bytes);
nlohmann::json read_json_file(const std::filesystem::path& path);

// vocab.txt: one token per line, id = line number (Python universal newlines; a repeated token
// keeps its last line, as load_vocab's dict does).
Vocab read_vocab_txt(const std::filesystem::path& path);
// vocab.json: {"token": id, ...}.
Vocab read_vocab_json(const std::filesystem::path& path);
// merges.txt: the first line is skipped (the "#version" header), and so is everything after
// the last newline, exactly as GPT2Tokenizer's split("\n")[1:-1] does; every other line must
// hold two tokens.
Merges read_merges_txt(const std::filesystem::path& path);

// Checks a token -> id map taken from JSON (ids non-negative and below the entry limit).
Vocab vocab_from_json(const nlohmann::json& object, const std::filesystem::path& path,
                      const std::string& field);

}  // namespace vkcap::text
