#pragma once
// The on-disk VkPipelineCache: one file per device UUID and driver version in the directory the
// caller names (ContextOptions::pipeline_cache_dir; the vkcap tool resolves its default,
// $XDG_CACHE_HOME/vkcap). No directory: an in-memory cache only.
// A missing, unwritable, truncated or foreign file is ignored: the cache only ever saves time.
#include <vulkan/vulkan.h>

#include <filesystem>
#include <vector>

#include "vk/device_info.h"

namespace vkcap::vk {

class PipelineCache {
 public:
  // `dir` empty: nothing is read or written.
  PipelineCache(VkDevice device, const DeviceInfo& info, const std::filesystem::path& dir);
  ~PipelineCache();  // saves, atomically (temp file + rename), ignoring failures
  PipelineCache(const PipelineCache&) = delete;
  PipelineCache& operator=(const PipelineCache&) = delete;

  VkPipelineCache handle() const { return cache_; }
  const std::filesystem::path& path() const { return path_; }
  bool loaded_from_disk() const { return loaded_; }
  void save() const;

 private:
  VkDevice device_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::filesystem::path path_;
  bool loaded_ = false;
};

// Whether `data` is a cache blob this device would accept (header fields match).
bool pipeline_cache_matches(const std::vector<uint8_t>& data, const DeviceInfo& info);

}  // namespace vkcap::vk
