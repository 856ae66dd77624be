#pragma once
// Test-only helpers: reading fixture files, and a minimal safetensors reader for the expected
// tensors (8-byte little-endian header length, a JSON header of dtype/shape/data_offsets, then
// raw little-endian data). The engine's real, fully validated loader lives in src/model/.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace test_image {

inline std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(VKCAP_FIXTURES_DIR) / "image" / relative;
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// One F32 tensor by name.
inline Tensor read_safetensors_f32(const std::filesystem::path& path, const std::string& name) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  if (bytes.size() < 8) throw std::runtime_error(path.string() + ": too short");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | bytes[i];
  if (header_len > bytes.size() - 8) throw std::runtime_error(path.string() + ": bad header length");
  const auto header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_len);
  const auto& entry = header.at(name);
  if (entry.at("dtype") != "F32") throw std::runtime_error(name + ": not F32");
  Tensor t;
  t.shape = entry.at("shape").get<std::vector<int64_t>>();
  const uint64_t begin = entry.at("data_offsets")[0], end = entry.at("data_offsets")[1];
  const uint64_t data_start = 8 + header_len;
  if (end < begin || data_start + end > bytes.size() || (end - begin) % 4 != 0)
    throw std::runtime_error(name + ": bad data_offsets");
  t.values.resize((end - begin) / 4);
  std::memcpy(t.values.data(), bytes.data() + data_start + begin, end - begin);  // little-endian host
  return t;
}

}  // namespace test_image
