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
  // Lets the kernel drop the pages wholly inside `part` from this process's memory once their
  // contents have been copied elsewhere (weights uploaded to the device): reading them again
  // faults them back in from the file. A no-op for bytes outside this mapping.
  void release(std::span<const uint8_t> part) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace vkcap
