#pragma once
// Device memory: a few large VkDeviceMemory blocks, sub-allocated with the right alignment.
// Where device-local memory is host-visible (lavapipe, integrated GPUs) buffers are mapped and
// written directly (zero copy); otherwise they are filled through staging buffers.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "vk/device_info.h"
#include "vk/sub_allocator.h"

namespace vkcap::vk {

class Allocator;

enum class MemoryKind {
  Device,   // what kernels read and write; mapped when the device is unified
  Staging,  // host-visible, for uploads and downloads on discrete GPUs
};

// A storage buffer with its own VkBuffer over a sub-allocated range. Move-only; frees on
// destruction.
class Buffer {
 public:
  Buffer() = default;
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  uint64_t size() const { return size_; }
  // Host pointer when the memory is host-visible, else nullptr.
  void* mapped() const { return mapped_; }
  // GPU address for buffer_reference shaders (0 when the device has no buffer device address).
  VkDeviceAddress address() const { return address_; }
  explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }
  // The whole buffer as texels of `format` (R32G32B32A32_SFLOAT or
  // R32G32B32A32_UINT), for kernels that bind it as a uniform texel buffer. Created on first
  // use and kept until the buffer is freed. Why kernels want one: on CPU drivers a texel fetch
  // compiles to plain unmasked loads (or an AVX2 gather), where a buffer_reference load on a CPU
  // without fast gathers becomes one branchy scalar load per lane (docs/lavapipe.md).
  VkBufferView texel_view(VkFormat format) const;
  // Whether texel_view(format) fits the device's maxTexelBufferElements.
  bool fits_texel_view(VkFormat format) const;

 private:
  friend class Allocator;
  void release();
  Allocator* owner_ = nullptr;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  uint64_t size_ = 0;
  void* mapped_ = nullptr;
  VkDeviceAddress address_ = 0;
  int block_ = -1;
  uint64_t offset_ = 0;
  uint64_t reserved_ = 0;
  mutable std::vector<std::pair<VkFormat, VkBufferView>> views_;  // guarded by the owner's mutex
};

struct MemoryStats {
  uint64_t allocated_bytes = 0;  // VkDeviceMemory in blocks
  uint64_t used_bytes = 0;       // handed out to buffers
  uint64_t peak_allocated_bytes = 0;
  size_t blocks = 0;
};

class Allocator {
 public:
  // `budget` caps the total VkDeviceMemory (0 = no cap).
  Allocator(VkDevice device, VkPhysicalDevice physical, const DeviceInfo& info,
            uint64_t block_size = 256ull << 20, uint64_t budget = 0);
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  Buffer create_buffer(uint64_t size, MemoryKind kind = MemoryKind::Device);
  MemoryStats stats() const;
  uint64_t budget() const { return budget_; }
  bool device_is_host_visible() const { return unified_; }

 private:
  friend class Buffer;
  struct Block {
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint32_t type = 0;
    void* mapped = nullptr;
    std::unique_ptr<SubAllocator> ranges;
    bool dedicated = false;
  };
  uint32_t memory_type(uint32_t allowed_types, MemoryKind kind) const;
  int block_with_room(uint32_t type, uint64_t size, uint64_t alignment, uint64_t* offset);
  void free_buffer(Buffer& buffer);

  VkDevice device_;
  VkPhysicalDeviceMemoryProperties properties_{};
  const DeviceInfo& info_;
  uint64_t block_size_;
  uint64_t budget_;
  bool unified_;
  mutable std::mutex mutex_;
  std::vector<Block> blocks_;
  MemoryStats stats_;
};

// Parses sizes such as "512M", "2G", "1048576" (memory budgets); 0 when empty.
uint64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace vkcap::vk
