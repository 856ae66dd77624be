#pragma once
// Parsing a JSON file's text with the checks every model-directory file gets: nesting depth
// first (json_limits.h says why), then one error line naming the file.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace vkcap {

// The parsed value, or vkcap::Error "<file>: not valid JSON (<parser's reason>)" /
// "<file>: JSON nests deeper than 256 levels (at byte N)".
nlohmann::json parse_json_text(std::string_view text, const std::string& file);

}  // namespace vkcap
