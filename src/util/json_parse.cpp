#include "util/json_parse.h"

#include "util/error.h"
#include "util/json_limits.h"

namespace vkcap {

nlohmann::json parse_json_text(std::string_view text, const std::string& file) {
  check_json_depth(text, file);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace vkcap
