#pragma once
// Shared by the public-API tests: options that turn every Vulkan validation message into a test
// failure, and the golden fixtures' expectations.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/gpu/harness.h"
#include "vkcap/attention.h"
#include "vkcap/captioner.h"

namespace vkcap::api_test {

inline void fail_on_validation_message(const std::string& message) {
  const std::string text = "validation: " + message;
  ADD_FAIL_CHECK_AT(__FILE__, __LINE__, text);
}

// The validation layer on, each message a failed check; the tool's pipeline cache.
inline CaptionerOptions checked_captioner_options() {
  CaptionerOptions o;
  o.validation = true;
  o.on_validation_message = fail_on_validation_message;
  o.pipeline_cache_dir = test::test_cache_dir();
  return o;
}
inline ContextOptions checked_context_options() {
  ContextOptions o;
  o.validation = true;
  o.on_validation_message = fail_on_validation_message;
  return o;
}

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(VKCAP_FIXTURES_DIR) / name;
}

inline nlohmann::json expected(const std::string& name) {
  std::ifstream in(fixture(name) / "expected.json");
  return nlohmann::json::parse(in);
}

}  // namespace vkcap::api_test
