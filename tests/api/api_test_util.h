#pragma once
// Shared by the public-API tests: options that turn every Vulkan validation message into a test
// failure (the suite runs with VKCAP_VALIDATE=1), and the golden fixtures' expectations.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace vkcap::api_test {

inline void fail_on_validation_message(const std::string& message) {
  const std::string text = "validation: " + message;
  ADD_FAIL_CHECK_AT(__FILE__, __LINE__, text);
}

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(VKCAP_FIXTURES_DIR) / name;
}

inline nlohmann::json expected(const std::string& name) {
  std::ifstream in(fixture(name) / "expected.json");
  return nlohmann::json::parse(in);
}

}  // namespace vkcap::api_test
