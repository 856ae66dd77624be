#pragma once
// Bounds for JSON read from a model directory, checked on the raw text before it is parsed.
// nlohmann::json parses without recursion, but copying, comparing and dump()ing a value recurse
// once per level, so a config.json of a million '[' would overflow the stack the first time an
// error message shows the value. No Hugging Face file nests deeper than about 6.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace vkcap {

inline constexpr int kMaxJsonDepth = 256;
// config.json, preprocessor_config.json, *.index.json: real ones are kilobytes (an index of a
// 70B-parameter model is ~100 kB).
inline constexpr uintmax_t kMaxConfigJsonBytes = 64ull << 20;

// Throws vkcap::Error "<file>: JSON nests deeper than 256 levels (at byte N)" when arrays and
// objects nest deeper than `max_depth`. Brackets inside strings are not counted; the text need
// not be valid JSON (the parser reports that).
void check_json_depth(std::string_view text, const std::string& file_label, int max_depth = kMaxJsonDepth);

// Throws vkcap::Error "<path>: N bytes is larger than the limit of M for a JSON config" before
// the file is read (a missing or unreadable file is left to the caller's open).
void check_config_size(const std::filesystem::path& path, uintmax_t max_bytes = kMaxConfigJsonBytes);

// The whole text of a JSON config file, size-checked before it is read. A file that cannot be
// opened is "<path>: cannot open<open_hint>".
std::string read_config_text(const std::filesystem::path& path, std::string_view open_hint = "");

}  // namespace vkcap
