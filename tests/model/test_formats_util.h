#pragma once
// Builders for hand-made pickles and stored zips, so that tests can craft exactly the broken or
// hostile checkpoint they want to see refused.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "model/zip_reader.h"

namespace vkcap::test {

struct PickleBuilder {
  std::vector<uint8_t> b;

  PickleBuilder& op(uint8_t code) { b.push_back(code); return *this; }
  PickleBuilder& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  PickleBuilder& proto(int v = 2) { return op(0x80).le(uint64_t(v), 1); }
  PickleBuilder& global(const std::string& module, const std::string& name) {
    op('c');
    b.insert(b.end(), module.begin(), module.end());
    b.push_back('\n');
    b.insert(b.end(), name.begin(), name.end());
    b.push_back('\n');
    return *this;
  }
  PickleBuilder& str(const std::string& s) {
    op('X').le(s.size(), 4);
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  PickleBuilder& int1(int v) { return op('K').le(uint64_t(v), 1); }
  PickleBuilder& mark() { return op('('); }
  PickleBuilder& tuple() { return op('t'); }
  PickleBuilder& reduce() { return op('R'); }
  PickleBuilder& stop() { return op('.'); }
  PickleBuilder& ordered_dict() { return global("collections", "OrderedDict").op(')').reduce(); }

  // _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())
  PickleBuilder& tensor(const std::string& storage_type, const std::string& key, int numel, int offset,
                        const std::vector<int>& size, const std::vector<int>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", storage_type).str(key).str("cpu").int1(numel).tuple().op('Q');
    int1(offset);
    mark();
    for (int s : size) int1(s);
    tuple().mark();
    for (int s : stride) int1(s);
    tuple().op(0x89).ordered_dict().tuple().reduce();
    return *this;
  }
};

// A stored zip written the plain way (no data descriptors, no zip64).
inline std::vector<uint8_t> make_stored_zip(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& files) {
  std::vector<uint8_t> out, central;
  auto put = [](std::vector<uint8_t>& v, uint64_t x, int n) {
    for (int i = 0; i < n; ++i) v.push_back(uint8_t(x >> (8 * i)));
  };
  for (const auto& [name, data] : files) {
    const uint32_t crc = vkcap::model::crc32(data);
    const uint64_t offset = out.size();
    put(out, 0x04034b50, 4); put(out, 20, 2); put(out, 0, 2); put(out, 0, 2); put(out, 0, 4);
    put(out, crc, 4); put(out, data.size(), 4); put(out, data.size(), 4);
    put(out, name.size(), 2); put(out, 0, 2);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), data.begin(), data.end());
    put(central, 0x02014b50, 4); put(central, 20, 2); put(central, 20, 2); put(central, 0, 2);
    put(central, 0, 2); put(central, 0, 4); put(central, crc, 4); put(central, data.size(), 4);
    put(central, data.size(), 4); put(central, name.size(), 2); put(central, 0, 2); put(central, 0, 2);
    put(central, 0, 2); put(central, 0, 2); put(central, 0, 4); put(central, offset, 4);
    central.insert(central.end(), name.begin(), name.end());
  }
  const uint64_t cd_offset = out.size();
  out.insert(out.end(), central.begin(), central.end());
  put(out, 0x06054b50, 4); put(out, 0, 2); put(out, 0, 2); put(out, files.size(), 2); put(out, files.size(), 2);
  put(out, central.size(), 4); put(out, cd_offset, 4); put(out, 0, 2);
  return out;
}

inline std::filesystem::path write_temp(const std::string& name, const std::vector<uint8_t>& bytes) {
  auto dir = std::filesystem::temp_directory_path() / "vkcap_test_formats";
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return path;
}

}  // namespace vkcap::test

namespace vkcap::test {

// A float32 safetensors file with the given tensors (values 0, 1, 2, ... plus `bias`).
inline void write_safetensors(const std::filesystem::path& path,
                              const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors,
                              float bias = 0) {
  std::string header = "{";
  std::vector<uint8_t> data;
  for (const auto& [name, shape] : tensors) {
    int64_t n = 1;
    std::string dims;
    for (int64_t d : shape) {
      n *= d;
      if (!dims.empty()) dims += ',';
      dims += std::to_string(d);
    }
    const size_t begin = data.size();
    for (int64_t i = 0; i < n; ++i) {
      float v = float(i) + bias;
      const auto* p = reinterpret_cast<const uint8_t*>(&v);
      data.insert(data.end(), p, p + 4);
    }
    if (header.size() > 1) header += ",";
    header += "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims + "],\"data_offsets\":[" +
              std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = header.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out << header;
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

// A fresh empty directory under the system temp dir.
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "vkcap_test_formats" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace vkcap::test
