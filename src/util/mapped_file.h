#pragma once
// A read-only memory map of a whole file. The one place that calls mmap, so that a port to
// another OS touches only mapped_file.cpp.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace vkcap {

class MappedFile {
 public:
  // Throws vkcap::Error naming the path when it cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace vkcap
