// MappedFile::release is what keeps peak memory near one copy of the weights: once a tensor has
// been uploaded, its file pages leave the process (docs/performance.md: BLIP-base fp16 767 MB).
// Measured here per mapping from /proc/self/smaps, so other allocations cannot blur it: first
// the mechanism on a plain file, then through WeightStore on the bundled checkpoint.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/weight_store.h"
#include "util/mapped_file.h"

namespace fs = std::filesystem;
using vkcap::MappedFile;

namespace {

// Resident kB of every mapping of `file` in this process, from /proc/self/smaps (0 if none).
long resident_kb_of_file(const fs::path& file) {
  std::ifstream smaps("/proc/self/smaps");
  const std::string name = fs::canonical(file).string();
  std::string line;
  bool inside = false;
  long total = 0;
  while (std::getline(smaps, line)) {
    const bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                        line.find('-') != std::string::npos && line.find(':') > line.find(' ');
    if (header) {
      inside = line.size() >= name.size() && line.compare(line.size() - name.size(), name.size(), name) == 0;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      total += std::stol(line.substr(4));
    }
  }
  return total;
}

uint64_t touch_all(std::span<const uint8_t> bytes) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += page) sum += bytes[i];
  return sum;
}

struct TempFile {
  fs::path path = fs::temp_directory_path() / ("vkcap_release_" + std::to_string(::getpid()) + ".bin");
  explicit TempFile(size_t size) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), long(size));
  }
  ~TempFile() { fs::remove(path); }
};

}  // namespace

TEST_CASE("MappedFile::release drops the released pages from this process, and they read back unchanged") {
  const size_t size = 16u << 20;
  TempFile file(size);
  MappedFile mapped(file.path);
  const auto bytes = mapped.bytes();
  REQUIRE(bytes.size() == size);
  const uint64_t sum = touch_all(bytes);
  const long all_kb = resident_kb_of_file(file.path);
  MESSAGE("resident after reading every page: " << all_kb << " kB");
  REQUIRE(all_kb >= long(size / 1024) - 64);

  // A span outside the mapping is ignored; so is one smaller than a page.
  const uint8_t elsewhere[8192] = {};
  mapped.release({elsewhere, sizeof elsewhere});
  mapped.release(bytes.subspan(100, 200));
  CHECK(resident_kb_of_file(file.path) >= all_kb - 4);

  // The first half goes; only whole pages inside the span are dropped.
  mapped.release(bytes.subspan(0, size / 2));
  const long half_kb = resident_kb_of_file(file.path);
  MESSAGE("after releasing the first half: " << half_kb << " kB");
  CHECK(half_kb <= all_kb - long(size / 2 / 1024) + 8);
  CHECK(half_kb >= long(size / 2 / 1024) - 64);

  mapped.release(bytes);
  CHECK(resident_kb_of_file(file.path) <= 8);

  // Released pages fault back in from the file with the same contents.
  CHECK(touch_all(bytes) == sum);
  CHECK(bytes[size - 1] == static_cast<uint8_t>((size - 1) * 131 + ((size - 1) >> 12)));
}


TEST_CASE("WeightStore::release drops a checkpoint's tensors from memory while the store stays open") {
  // CaptionModel hands every tensor to WeightStore::release right after uploading it; here the
  // store is kept open so that what stays resident can be seen.
  const fs::path dir = fs::path(VKCAP_SOURCE_DIR) / "assets" / "models" / "vkcap-shapes";
  const fs::path weights = dir / "model.safetensors";
  const long file_kb = long(fs::file_size(weights) / 1024);
  const vkcap::model::WeightStore store(dir);
  uint64_t sum = 0;
  for (const std::string& name : store.names()) sum += touch_all(store.find(name)->bytes);
  const long before = resident_kb_of_file(weights);
  for (const std::string& name : store.names()) store.release(*store.find(name));
  const long after = resident_kb_of_file(weights);
  MESSAGE("model.safetensors: " << file_kb << " kB; resident after reading every tensor " << before
                                << " kB, after releasing them " << after << " kB");
  CHECK(before >= file_kb * 9 / 10);
  // Pages shared by two tensors, or holding the header, stay: allow a tenth of the file.
  CHECK(after <= file_kb / 10);
  uint64_t again = 0;
  for (const std::string& name : store.names()) again += touch_all(store.find(name)->bytes);
  CHECK(again == sum);
}
