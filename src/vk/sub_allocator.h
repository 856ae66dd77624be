#pragma once
// Offset bookkeeping for one memory block: first-fit over a sorted free list, with coalescing
// on free. Pure arithmetic (no Vulkan) so that it can be tested on its own.
#include <cstdint>
#include <map>
#include <optional>

namespace vkcap::vk {

class SubAllocator {
 public:
  explicit SubAllocator(uint64_t capacity);

  // Returns the offset of `size` bytes aligned to `alignment` (a power of two), or nothing when
  // no free range is large enough.
  std::optional<uint64_t> allocate(uint64_t size, uint64_t alignment);
  // Frees a range returned by allocate (same offset and size).
  void free(uint64_t offset, uint64_t size);

  uint64_t capacity() const { return capacity_; }
  uint64_t used() const { return used_; }
  bool empty() const { return used_ == 0; }
  size_t free_ranges() const { return free_.size(); }
  uint64_t largest_free() const;

 private:
  uint64_t capacity_;
  uint64_t used_ = 0;
  std::map<uint64_t, uint64_t> free_;  // offset -> size
};

}  // namespace vkcap::vk
