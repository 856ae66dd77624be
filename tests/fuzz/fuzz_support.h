#pragma once
// Helpers shared by the fuzz targets (header-only, so that a target is one source file both in
// the libFuzzer build and in the corpus replay test).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace vkcap::fuzz {

using Bytes = std::span<const uint8_t>;

// An empty directory private to this process and this target (`tag`), for parsers that take a
// path or a model directory. It is emptied on every call and removed at exit. It lives in
// /dev/shm when there is one, so that writing the input costs no disk I/O.
inline std::filesystem::path scratch_dir(std::string_view tag) {
  namespace fs = std::filesystem;
  static const fs::path base = [] {
    std::error_code ec;
    const fs::path root = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    return root / ("vkcap-fuzz-" + std::to_string(::getpid()));
  }();
  static const bool cleanup_registered = [] {
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(base, ec);
    });
    return true;
  }();
  (void)cleanup_registered;
  const fs::path dir = base / tag;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  return dir;
}

inline void write_file(const std::filesystem::path& path, Bytes bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Inputs that stand for several files put them one after the other, separated by this line,
// so that corpus entries stay readable.
inline constexpr std::string_view kPartSeparator = "\n--8<--\n";

// The parts of `data` between separators; at most `max_parts` (the last part keeps any further
// separators as content).
inline std::vector<Bytes> split_parts(Bytes data, size_t max_parts) {
  std::vector<Bytes> parts;
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  size_t start = 0;
  while (parts.size() + 1 < max_parts) {
    const size_t at = text.find(kPartSeparator, start);
    if (at == std::string_view::npos) break;
    parts.push_back(data.subspan(start, at - start));
    start = at + kPartSeparator.size();
  }
  parts.push_back(data.subspan(start));
  return parts;
}

// Reads every byte of a span the parser handed out, so that a view reaching outside the input
// is an AddressSanitizer report here rather than a silent wrong answer later.
inline volatile uint32_t sink = 0;
inline void touch(Bytes bytes) {
  uint32_t sum = 0;
  for (uint8_t b : bytes) sum = sum * 31 + b;
  sink = sink + sum;
}

}  // namespace vkcap::fuzz
