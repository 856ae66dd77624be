#pragma once
// Paths and small helpers shared by the tokenizer tests.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vkcap::text::testing {

inline std::filesystem::path fixtures() { return std::filesystem::path(VKCAP_FIXTURES_DIR); }
inline std::filesystem::path text_fixtures() { return fixtures() / "text"; }

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::vector<int32_t> ids_of(const nlohmann::json& list) { return list.get<std::vector<int32_t>>(); }

}  // namespace vkcap::text::testing
