#include "vk/sub_allocator.h"

#include <algorithm>

namespace vkcap::vk {

SubAllocator::SubAllocator(uint64_t capacity) : capacity_(capacity) {
  if (capacity > 0) free_[0] = capacity;
}

std::optional<uint64_t> SubAllocator::allocate(uint64_t size, uint64_t alignment) {
  if (size == 0) size = 1;
  if (alignment == 0) alignment = 1;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const uint64_t start = it->first, length = it->second;
    const uint64_t aligned = (start + alignment - 1) & ~(alignment - 1);
    const uint64_t padding = aligned - start;
    if (padding > length || length - padding < size) continue;
    free_.erase(it);
    // Keep the padding before and the tail after as free ranges of their own.
    if (padding > 0) free_[start] = padding;
    const uint64_t tail = length - padding - size;
    if (tail > 0) free_[aligned + size] = tail;
    used_ += size;
    return aligned;
  }
  return std::nullopt;
}

void SubAllocator::free(uint64_t offset, uint64_t size) {
  if (size == 0) size = 1;
  used_ -= size;
  auto [it, inserted] = free_.emplace(offset, size);
  // Merge with the following range, then with the preceding one.
  auto next = std::next(it);
  if (next != free_.end() && it->first + it->second == next->first) {
    it->second += next->second;
    free_.erase(next);
  }
  if (it != free_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      free_.erase(it);
    }
  }
}

uint64_t SubAllocator::largest_free() const {
  uint64_t best = 0;
  for (const auto& [offset, size] : free_) best = std::max(best, size);
  return best;
}

}  // namespace vkcap::vk
