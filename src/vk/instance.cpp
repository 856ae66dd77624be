#include "vk/instance.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "vk/check.h"

namespace vkcap::vk {

namespace {

bool has_layer(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  for (const auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string device_list(const std::vector<DeviceInfo>& devices) {
  std::string out;
  for (const auto& d : devices) {
    if (!out.empty()) out += ", ";
    out += std::to_string(d.index) + " = " + d.name;
  }
  return out.empty() ? "none" : out;
}

int type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
  }
}

}  // namespace

Instance::Instance(const InstanceOptions& options) {
  setup_cpu_vector_width(options.cpu_vector_width, options.cache_dir);  // before the loader loads any driver
  validation_ = options.validation;
  sink_ = options.on_message;
  const char* layer = "VK_LAYER_KHRONOS_validation";
  if (validation_ && !has_layer(layer))
    throw Error("validation was requested but the Khronos validation layer is not installed "
                "(Debian: apt-get install vulkan-validationlayers)");

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "vkcap";
  app.pEngineName = "vkcap";
  app.apiVersion = VK_API_VERSION_1_2;

  std::vector<const char*> extensions;
  std::vector<const char*> layers;
  VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  VkDebugUtilsMessengerCreateInfoEXT messenger{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger.pfnUserCallback = &Instance::on_message;
  messenger.pUserData = this;

  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  if (validation_) {
    layers.push_back(layer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    if (options.sync_validation) {
      features.enabledValidationFeatureCount = 1;
      features.pEnabledValidationFeatures = &sync;
    }
    // Chained so that instance creation itself is validated too.
    features.pNext = &messenger;
    info.pNext = &features;
  }
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VkResult result = vkCreateInstance(&info, nullptr, &instance_);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
    throw Error("no Vulkan driver found (vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER); on Debian "
                "install mesa-vulkan-drivers for the CPU driver lavapipe");
  check(result, "vkCreateInstance");

  if (validation_) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create) check(create(instance_, &messenger, nullptr, &messenger_), "vkCreateDebugUtilsMessengerEXT");
  }

  uint32_t count = 0;
  check(vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices");
  physical_devices_.resize(count);
  check(vkEnumeratePhysicalDevices(instance_, &count, physical_devices_.data()), "vkEnumeratePhysicalDevices");
  physical_devices_.resize(count);
  for (uint32_t i = 0; i < count; ++i) devices_.push_back(probe(physical_devices_[i], i));
}

Instance::~Instance() {
  if (messenger_) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_) vkDestroyInstance(instance_, nullptr);
}

void Instance::set_message_sink(MessageSink sink) { sink_ = std::move(sink); }

void Instance::send_test_message(const char* text) {
  if (!messenger_) return;
  auto submit = reinterpret_cast<PFN_vkSubmitDebugUtilsMessageEXT>(
      vkGetInstanceProcAddr(instance_, "vkSubmitDebugUtilsMessageEXT"));
  if (!submit) return;
  VkDebugUtilsMessengerCallbackDataEXT data{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT};
  data.pMessageIdName = "VKCAP-fault-injection";
  data.pMessage = text;
  submit(instance_, VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT, VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
         &data);
}

VKAPI_ATTR VkBool32 VKAPI_CALL Instance::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                                    VkDebugUtilsMessageTypeFlagsEXT,
                                                    const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                    void* user) {
  auto* self = static_cast<Instance*>(user);
  self->messages_.fetch_add(1);
  std::string_view text = data && data->pMessage ? data->pMessage : "(no message)";
  if (self->sink_)
    self->sink_(text);
  else
    std::fprintf(stderr, "vkcap: Vulkan validation: %.*s\n", static_cast<int>(text.size()), text.data());
  return VK_FALSE;
}

uint32_t default_device(const std::vector<DeviceInfo>& devices) {
  if (devices.empty()) throw Error("no Vulkan device found; on Debian install mesa-vulkan-drivers for lavapipe");
  auto best = std::min_element(devices.begin(), devices.end(), [](const DeviceInfo& a, const DeviceInfo& b) {
    int ra = type_rank(a.type), rb = type_rank(b.type);
    if (ra != rb) return ra < rb;
    return a.device_local_bytes() > b.device_local_bytes();
  });
  return best->index;
}

uint32_t choose_device(const std::vector<DeviceInfo>& devices, std::string_view spec) {
  if (spec.empty()) return default_device(devices);
  if (devices.empty()) throw Error("no Vulkan device found; on Debian install mesa-vulkan-drivers for lavapipe");
  unsigned index = 0;
  auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), index);
  if (ec == std::errc() && end == spec.data() + spec.size()) {
    if (index >= devices.size())
      throw Error("device " + std::string(spec) + ": no device with that index (devices: " +
                  device_list(devices) + ")");
    return index;
  }
  std::string needle = lower(spec);
  for (const auto& d : devices)
    if (lower(d.name).find(needle) != std::string::npos) return d.index;
  throw Error("device '" + std::string(spec) + "': no device name contains it (devices: " +
              device_list(devices) + ")");
}

}  // namespace vkcap::vk
