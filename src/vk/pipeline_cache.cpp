#include "vk/pipeline_cache.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "vk/check.h"

namespace vkcap::vk {

namespace {

std::string hex(const uint8_t* data, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::vector<uint8_t> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

bool pipeline_cache_matches(const std::vector<uint8_t>& data, const DeviceInfo& info) {
  // VkPipelineCacheHeaderVersionOne: length, version, vendor, device, UUID (32 bytes).
  if (data.size() < 32) return false;
  uint32_t header[4];
  std::memcpy(header, data.data(), sizeof header);
  return header[0] >= 32 && header[0] <= data.size() &&
         header[1] == VK_PIPELINE_CACHE_HEADER_VERSION_ONE && header[2] == info.vendor_id &&
         header[3] == info.device_id &&
         std::memcmp(data.data() + 16, info.pipeline_cache_uuid.data(), VK_UUID_SIZE) == 0;
}

PipelineCache::PipelineCache(VkDevice device, const DeviceInfo& info, const std::filesystem::path& dir)
    : device_(device) {
  if (!dir.empty())
    path_ = dir / ("pipelines-" + hex(info.pipeline_cache_uuid.data(), VK_UUID_SIZE) + "-" +
                   std::to_string(info.driver_version) + ".bin");
  std::vector<uint8_t> data;
  if (!path_.empty()) data = read_all(path_);
  loaded_ = pipeline_cache_matches(data, info);
  VkPipelineCacheCreateInfo create{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  if (loaded_) {
    create.initialDataSize = data.size();
    create.pInitialData = data.data();
  }
  if (vkCreatePipelineCache(device_, &create, nullptr, &cache_) != VK_SUCCESS) {
    // A blob the driver rejects despite a good header: start empty.
    loaded_ = false;
    create.initialDataSize = 0;
    create.pInitialData = nullptr;
    check(vkCreatePipelineCache(device_, &create, nullptr, &cache_), "vkCreatePipelineCache");
  }
}

PipelineCache::~PipelineCache() {
  save();
  vkDestroyPipelineCache(device_, cache_, nullptr);
}

void PipelineCache::save() const {
  if (path_.empty()) return;
  size_t size = 0;
  if (vkGetPipelineCacheData(device_, cache_, &size, nullptr) != VK_SUCCESS || size == 0) return;
  std::vector<uint8_t> data(size);
  if (vkGetPipelineCacheData(device_, cache_, &size, data.data()) != VK_SUCCESS) return;
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  // A unique temp name per process, then rename: concurrent runs never see half a file.
  auto temp = path_;
  temp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(size));
    if (!out) {
      out.close();
      std::filesystem::remove(temp, ec);
      return;
    }
  }
  std::filesystem::rename(temp, path_, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace vkcap::vk
