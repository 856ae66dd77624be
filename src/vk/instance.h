#pragma once
// The Vulkan instance: the loader, the optional Khronos validation layer, and a debug
// messenger that counts every warning and error the layer reports and hands it to a sink.
#include <vulkan/vulkan.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "vk/cpu_vector_width.h"
#include "vk/device_info.h"

namespace vkcap::vk {

using MessageSink = std::function<void(std::string_view message)>;

struct InstanceOptions {
  // Khronos validation layer.
  bool validation = false;
  // Synchronization validation (hazards between dispatches); only with validation.
  bool sync_validation = true;
  // Where validation messages go (default: stderr).
  MessageSink on_message;
  // llvmpipe's vector width, set up before the instance (vk/cpu_vector_width.h). The first
  // instance of the process decides.
  CpuVectorWidth cpu_vector_width = CpuVectorWidth::Auto;
  // vkcap's cache directory: Mesa's shader cache goes below it, one directory per vector width
  // (vk/cpu_vector_width.h); empty = Mesa's on-disk cache is switched off unless the user placed
  // it with MESA_SHADER_CACHE_DIR. Also decided by the process's first instance.
  std::filesystem::path cache_dir;
};

class Instance {
 public:
  explicit Instance(const InstanceOptions& options = {});
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  bool validation_enabled() const { return validation_; }
  const std::vector<VkPhysicalDevice>& physical_devices() const { return physical_devices_; }
  const std::vector<DeviceInfo>& devices() const { return devices_; }

  // Number of validation warnings and errors reported so far.
  uint64_t validation_messages() const { return messages_.load(); }
  // Where messages go (default: stderr). Tests install a sink that fails the running test.
  void set_message_sink(MessageSink sink);
  // Sends `text` through the validation messenger as an error, exactly as the layer reports one
  // (fault injection validation-message@N). Without validation there is no messenger: no-op.
  void send_test_message(const char* text);

 private:
  static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                                   VkDebugUtilsMessageTypeFlagsEXT,
                                                   const VkDebugUtilsMessengerCallbackDataEXT*,
                                                   void*);
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  bool validation_ = false;
  std::atomic<uint64_t> messages_{0};
  MessageSink sink_;
  std::vector<VkPhysicalDevice> physical_devices_;
  std::vector<DeviceInfo> devices_;
};

// Chooses a device: `spec` is an index ("1") or a case-insensitive name substring ("llvmpipe");
// empty means the best device (discrete > integrated > virtual > CPU). Throws vkcap::Error
// listing the devices when nothing matches.
uint32_t choose_device(const std::vector<DeviceInfo>& devices, std::string_view spec);
uint32_t default_device(const std::vector<DeviceInfo>& devices);

}  // namespace vkcap::vk
