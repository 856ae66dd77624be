#include "vk/memory.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "util/error.h"
#include "vk/check.h"

namespace vkcap::vk {

namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

}  // namespace

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  if (text.empty()) return 0;
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw Error(what + " '" + text + "' is not a size (examples: 512M, 2G, 1048576)");
  }
  std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "" || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KB" || unit == "KiB") scale = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GB" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else throw Error(what + " '" + text + "' has an unknown unit (use K, M or G)");
  if (value < 0) throw Error(what + " '" + text + "' is negative");
  return static_cast<uint64_t>(value * scale);
}

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& other) noexcept { *this = std::move(other); }

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
    address_ = std::exchange(other.address_, 0);
    block_ = std::exchange(other.block_, -1);
    offset_ = std::exchange(other.offset_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    views_ = std::exchange(other.views_, {});
  }
  return *this;
}

namespace {
uint32_t texel_bytes(VkFormat format) {
  switch (format) {
    case VK_FORMAT_R32G32B32A32_SFLOAT:
    case VK_FORMAT_R32G32B32A32_UINT: return 16;
    default: throw Error("internal: no texel view format " + std::to_string(format));
  }
}
}  // namespace

bool Buffer::fits_texel_view(VkFormat format) const {
  return owner_ && size_ / texel_bytes(format) <= owner_->info_.max_texel_buffer_elements;
}

VkBufferView Buffer::texel_view(VkFormat format) const {
  if (!fits_texel_view(format))
    throw Error("internal: a " + std::to_string(size_) + "-byte buffer does not fit a texel view");
  std::lock_guard lock(owner_->mutex_);
  for (const auto& [f, view] : views_)
    if (f == format) return view;
  VkBufferViewCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
  info.buffer = buffer_;
  info.format = format;
  info.range = size_ / texel_bytes(format) * texel_bytes(format);
  VkBufferView view;
  check(vkCreateBufferView(owner_->device_, &info, nullptr, &view), "vkCreateBufferView");
  views_.emplace_back(format, view);
  return view;
}

void Buffer::release() {
  if (owner_ && buffer_) owner_->free_buffer(*this);
  owner_ = nullptr;
  buffer_ = VK_NULL_HANDLE;
}

Allocator::Allocator(VkDevice device, VkPhysicalDevice physical, const DeviceInfo& info,
                     uint64_t block_size, uint64_t budget)
    : device_(device), info_(info), block_size_(block_size), budget_(budget),
      unified_(info.device_local_host_visible) {
  vkGetPhysicalDeviceMemoryProperties(physical, &properties_);
  // Under a budget, blocks are a sixteenth of it (at least 256 KiB): reserving 256 MiB at a
  // time would make a small budget all-or-nothing and hide how much a batch really needs.
  if (budget_ > 0) block_size_ = std::min(block_size_, std::max<uint64_t>(256ull << 10, (budget_ / 16) & ~4095ull));
  if (info.max_memory_allocation_size > 0 && block_size_ > info.max_memory_allocation_size)
    block_size_ = info.max_memory_allocation_size;
}

Allocator::~Allocator() {
  for (auto& block : blocks_) {
    if (block.memory) vkFreeMemory(device_, block.memory, nullptr);
  }
}

uint32_t Allocator::memory_type(uint32_t allowed_types, MemoryKind kind) const {
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  std::vector<VkMemoryPropertyFlags> wanted;
  if (kind == MemoryKind::Device) {
    if (unified_) wanted.push_back(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | host);
    wanted.push_back(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  } else {
    wanted.push_back(host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    wanted.push_back(host);
  }
  for (VkMemoryPropertyFlags flags : wanted)
    for (uint32_t t = 0; t < properties_.memoryTypeCount; ++t)
      if ((allowed_types & (1u << t)) && (properties_.memoryTypes[t].propertyFlags & flags) == flags) return t;
  throw Error("the Vulkan device has no suitable memory type for " +
              std::string(kind == MemoryKind::Device ? "device buffers" : "staging buffers"));
}

int Allocator::block_with_room(uint32_t type, uint64_t size, uint64_t alignment, uint64_t* offset) {
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Block& block = blocks_[b];
    if (block.memory == VK_NULL_HANDLE || block.type != type || block.dedicated) continue;
    if (auto found = block.ranges->allocate(size, alignment)) {
      *offset = *found;
      return static_cast<int>(b);
    }
  }
  // A new block: the standard size, or exactly the buffer's size when it is larger.
  const bool dedicated = size > block_size_ / 2;
  const uint64_t bytes = dedicated ? size : block_size_;
  if (info_.max_memory_allocation_size > 0 && bytes > info_.max_memory_allocation_size)
    throw OutOfMemoryError("a " + mib(bytes) + " buffer exceeds the device's largest allocation (" +
                           mib(info_.max_memory_allocation_size) + ")");
  if (budget_ > 0 && stats_.allocated_bytes + bytes > budget_)
    throw OutOfMemoryError("out of device memory: " + mib(bytes) + " more would exceed the budget of " +
                           mib(budget_) + " (" + mib(stats_.allocated_bytes) + " in use)");
  VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
  flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.allocationSize = bytes;
  info.memoryTypeIndex = type;
  if (info_.buffer_device_address) info.pNext = &flags;
  Block block;
  block.type = type;
  block.dedicated = dedicated;
  check(vkAllocateMemory(device_, &info, nullptr, &block.memory), "vkAllocateMemory");
  if (properties_.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
    VkResult mapped = vkMapMemory(device_, block.memory, 0, VK_WHOLE_SIZE, 0, &block.mapped);
    if (mapped != VK_SUCCESS) {
      vkFreeMemory(device_, block.memory, nullptr);
      check(mapped, "vkMapMemory");
    }
  }
  block.ranges = std::make_unique<SubAllocator>(bytes);
  *offset = *block.ranges->allocate(size, alignment);
  stats_.allocated_bytes += bytes;
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  ++stats_.blocks;
  // Reuse a slot freed earlier so block indices held by live buffers stay valid.
  for (size_t b = 0; b < blocks_.size(); ++b)
    if (blocks_[b].memory == VK_NULL_HANDLE) {
      blocks_[b] = std::move(block);
      return static_cast<int>(b);
    }
  blocks_.push_back(std::move(block));
  return static_cast<int>(blocks_.size() - 1);
}

Buffer Allocator::create_buffer(uint64_t size, MemoryKind kind) {
  if (size == 0) size = 4;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  // Texel-buffer usage lets a kernel read a buffer through a typed view (Buffer::texel_view).
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (info_.buffer_device_address) info.usage |= VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  Buffer buffer;
  check(vkCreateBuffer(device_, &info, nullptr, &buffer.buffer_), "vkCreateBuffer");
  buffer.owner_ = this;
  buffer.size_ = size;
  VkMemoryRequirements requirements{};
  vkGetBufferMemoryRequirements(device_, buffer.buffer_, &requirements);
  const uint64_t alignment = std::max<uint64_t>(requirements.alignment,
                                                std::max<uint64_t>(info_.min_storage_buffer_offset_alignment, 16));
  std::lock_guard lock(mutex_);
  try {
    const uint32_t type = memory_type(requirements.memoryTypeBits, kind);
    uint64_t offset = 0;
    const int b = block_with_room(type, requirements.size, alignment, &offset);
    buffer.block_ = b;
    buffer.offset_ = offset;
    buffer.reserved_ = requirements.size;
    check(vkBindBufferMemory(device_, buffer.buffer_, blocks_[b].memory, offset), "vkBindBufferMemory");
    stats_.used_bytes += requirements.size;
  } catch (...) {
    if (buffer.block_ < 0) {
      vkDestroyBuffer(device_, buffer.buffer_, nullptr);
      buffer.owner_ = nullptr;
      buffer.buffer_ = VK_NULL_HANDLE;
    }
    throw;
  }
  if (blocks_[buffer.block_].mapped)
    buffer.mapped_ = static_cast<uint8_t*>(blocks_[buffer.block_].mapped) + buffer.offset_;
  if (info_.buffer_device_address) {
    VkBufferDeviceAddressInfo address{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
    address.buffer = buffer.buffer_;
    buffer.address_ = vkGetBufferDeviceAddress(device_, &address);
  }
  return buffer;
}

void Allocator::free_buffer(Buffer& buffer) {
  for (const auto& [format, view] : buffer.views_) vkDestroyBufferView(device_, view, nullptr);
  buffer.views_.clear();
  vkDestroyBuffer(device_, buffer.buffer_, nullptr);
  std::lock_guard lock(mutex_);
  if (buffer.block_ < 0) return;
  Block& block = blocks_[buffer.block_];
  block.ranges->free(buffer.offset_, buffer.reserved_);
  stats_.used_bytes -= buffer.reserved_;
  // Dedicated blocks go back to the driver at once; shared blocks stay for reuse.
  if (block.dedicated && block.ranges->empty()) {
    vkFreeMemory(device_, block.memory, nullptr);
    stats_.allocated_bytes -= block.ranges->capacity();
    --stats_.blocks;
    block = Block{};
  }
}

MemoryStats Allocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace vkcap::vk
