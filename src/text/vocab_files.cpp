#include "text/vocab_files.h"

#include <fstream>
#include <sstream>

#include "text/unicode.h"
#include "util/error.h"
#include "util/json_limits.h"
#include "util/json_parse.h"

namespace vkcap::text {
namespace fs = std::filesystem;

namespace {

// Valid UTF-8 survives a replace-decode and re-encode unchanged; otherwise reports the
// first byte that differs.
bool valid_utf8(std::string_view text, size_t& bad_offset) {
  const std::string round_trip = encode_utf8(decode_utf8_replace(text));
  if (round_trip == text) return true;
  bad_offset = 0;
  while (bad_offset < text.size() && bad_offset < round_trip.size() &&
         text[bad_offset] == round_trip[bad_offset]) {
    ++bad_offset;
  }
  return false;
}

}  // namespace

std::string read_text_file(const fs::path& path, uintmax_t max_bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path.string() + ": missing or not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error(path.string() + ": cannot read its size: " + ec.message());
  if (size > max_bytes) {
    throw Error(path.string() + ": " + std::to_string(size) + " bytes is larger than the limit of " +
                std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) throw Error(path.string() + ": short read");
  size_t bad = 0;
  if (!valid_utf8(text, bad)) throw Error(path.string() + ": invalid UTF-8 at byte " + std::to_string(bad));
  return text;
}

nlohmann::json read_json_file(const fs::path& path) {
  const std::string text = read_text_file(path, kMaxJsonBytes);
  return parse_json_text(text, path.string());
}

namespace {

// Python's universal newlines: "\r\n", "\r" and "\n" all end a line. Calls fn(line, number)
// for every line; `keep_last_partial` says whether text after the final newline is a line.
template <typename Fn>
void for_each_line(const std::string& text, const fs::path& path, bool keep_last_partial, Fn fn) {
  size_t start = 0, number = 1;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    const bool last = end == std::string::npos;
    if (last) end = text.size();
    if (end - start > kMaxLineBytes) {
      throw Error(path.string() + ": line " + std::to_string(number) + " is longer than " +
                  std::to_string(kMaxLineBytes) + " bytes");
    }
    if (last && !keep_last_partial) return;
    fn(std::string_view(text).substr(start, end - start), number);
    if (last) return;
    start = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
    ++number;
  }
}

}  // namespace

Vocab read_vocab_txt(const fs::path& path) {
  const std::string text = read_text_file(path, kMaxVocabEntries * 64);
  Vocab vocab;
  for_each_line(text, path, true, [&](std::string_view line, size_t number) {
    if (number > kMaxVocabEntries) {
      throw Error(path.string() + ": more than " + std::to_string(kMaxVocabEntries) + " entries");
    }
    vocab[std::string(line)] = static_cast<int32_t>(number - 1);
  });
  if (vocab.empty()) throw Error(path.string() + ": empty vocabulary");
  return vocab;
}

Vocab vocab_from_json(const nlohmann::json& object, const fs::path& path, const std::string& field) {
  if (!object.is_object()) throw Error(path.string() + ": " + field + " is not a JSON object");
  if (object.size() > kMaxVocabEntries) {
    throw Error(path.string() + ": " + field + " has " + std::to_string(object.size()) +
                " entries, more than " + std::to_string(kMaxVocabEntries));
  }
  if (object.empty()) throw Error(path.string() + ": " + field + " is empty");
  Vocab vocab;
  vocab.reserve(object.size());
  for (const auto& [token, id] : object.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() >= static_cast<int64_t>(kMaxVocabEntries)) {
      throw Error(path.string() + ": " + field + "[\"" + token + "\"] = " + id.dump() +
                  " is not an id between 0 and " + std::to_string(kMaxVocabEntries - 1));
    }
    vocab[token] = static_cast<int32_t>(id.get<int64_t>());
  }
  return vocab;
}

Vocab read_vocab_json(const fs::path& path) { return vocab_from_json(read_json_file(path), path, "vocabulary"); }

Merges read_merges_txt(const fs::path& path) {
  const std::string text = read_text_file(path, kMaxVocabEntries * 64);
  Merges merges;
  for_each_line(text, path, false, [&](std::string_view line, size_t number) {
    if (number == 1) return;  // "#version: 0.2"
    if (merges.size() >= kMaxVocabEntries) {
      throw Error(path.string() + ": more than " + std::to_string(kMaxVocabEntries) + " merges");
    }
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (i > start) parts.push_back(line.substr(start, i - start));
    }
    if (parts.empty()) return;  // a blank line: Python keeps an empty tuple that never matches
    if (parts.size() != 2) {
      throw Error(path.string() + ": line " + std::to_string(number) + " has " +
                  std::to_string(parts.size()) + " fields, expected two tokens \"left right\"");
    }
    merges.emplace_back(std::string(parts[0]), std::string(parts[1]));
  });
  return merges;
}

}  // namespace vkcap::text
