#include "util/json_limits.h"

#include <fstream>
#include <sstream>

#include "util/error.h"

namespace vkcap {

void check_json_depth(std::string_view text, const std::string& file, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw Error(file + ": JSON nests deeper than " + std::to_string(max_depth) + " levels (at byte " +
                    std::to_string(i) + ")");
    } else if (c == ']' || c == '}') {
      --depth;  // unbalanced text is the parser's to report
    }
  }
}

void check_config_size(const std::filesystem::path& path, uintmax_t max_bytes) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes)
    throw Error(path.string() + ": " + std::to_string(size) + " bytes is larger than the limit of " +
                std::to_string(max_bytes) + " for a JSON config");
}

std::string read_config_text(const std::filesystem::path& path, std::string_view open_hint) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open" + std::string(open_hint));
  check_config_size(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace vkcap
