#include "vk/device_info.h"

#include <cstring>

#include "vk/check.h"
#include "vk/cpu_vector_width.h"

namespace vkcap::vk {

namespace {

bool has_extension(VkPhysicalDevice device, const char* name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
  for (const auto& e : extensions)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

// Driver special cases, in one table: how the Cpu variant's linear kernels should read their
// weights (both paths compute the same results and are tested everywhere; they differ in speed).
// Rows are matched in order; `cpu_avx512` and `subgroup_size` 0 match anything. Measurements
// behind each row: docs/lavapipe-vector-width.md (at 512 bits texels were also the faster path,
// once Mesa's shader cache stopped mixing widths).
enum class Avx512 { Any, Yes, No };
struct WeightFetchRule {
  const char* driver;      // VkPhysicalDeviceDriverProperties::driverName
  Avx512 cpu_avx512;       // the host CPU (only meaningful for CPU drivers)
  uint32_t subgroup_size;  // llvmpipe: 8 = 256-bit vectors, 16 = 512-bit (LP_NATIVE_VECTOR_WIDTH)
  bool texels;
  const char* why;
};
constexpr WeightFetchRule kWeightFetchRules[] = {
    {"llvmpipe", Avx512::No, 0, true,
     "llvmpipe without AVX-512: address loads become per-lane scalar loads, texel fetches vector loads"},
    {"llvmpipe", Avx512::Yes, 8, true, "llvmpipe, AVX-512 CPU, 256-bit vectors: texels measured faster"},
    {"llvmpipe", Avx512::Yes, 16, true, "llvmpipe, AVX-512 CPU, 512-bit vectors: texels measured faster"},
};

// Sets texel_weights and weight_fetch_reason from the table (texel_formats must be known).
void choose_weight_fetch(DeviceInfo& info) {
  if (!info.texel_formats) {
    info.texel_weights = false;
    info.weight_fetch_reason = "no RGBA32F/RGBA32UI uniform texel buffers";
    return;
  }
  const bool avx512 = cpu_has_avx512f();
  for (const WeightFetchRule& rule : kWeightFetchRules) {
    if (info.driver_name != rule.driver) continue;
    if (rule.cpu_avx512 != Avx512::Any && (rule.cpu_avx512 == Avx512::Yes) != avx512) continue;
    if (rule.subgroup_size != 0 && rule.subgroup_size != info.subgroup_size) continue;
    info.texel_weights = rule.texels;
    info.weight_fetch_reason = rule.why;
    return;
  }
  info.texel_weights = true;
  info.weight_fetch_reason = "texel formats supported (no measurement for this driver)";
}

bool has_vulkan_12(uint32_t api_version) {
  return VK_API_VERSION_MINOR(api_version) >= 2 || VK_API_VERSION_MAJOR(api_version) > 1;
}

// Names, versions, limits and subgroup properties; returns the limits for the later steps.
VkPhysicalDeviceLimits probe_properties(VkPhysicalDevice device, DeviceInfo& info) {
  VkPhysicalDeviceProperties base{};
  vkGetPhysicalDeviceProperties(device, &base);
  info.api_version = base.apiVersion;
  const bool v12 = has_vulkan_12(base.apiVersion);

  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceMaintenance3Properties maintenance3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  subgroup.pNext = &maintenance3;
  if (v12) maintenance3.pNext = &driver;
  VkPhysicalDeviceSubgroupSizeControlProperties size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  if (has_extension(device, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME)) {
    size_control.pNext = subgroup.pNext;
    subgroup.pNext = &size_control;
  }
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &props);
  const VkPhysicalDeviceLimits& limits = props.properties.limits;

  info.name = props.properties.deviceName;
  info.type = props.properties.deviceType;
  info.driver_version = props.properties.driverVersion;
  info.vendor_id = props.properties.vendorID;
  info.device_id = props.properties.deviceID;
  std::memcpy(info.pipeline_cache_uuid.data(), props.properties.pipelineCacheUUID, VK_UUID_SIZE);
  if (v12) {
    info.driver_name = driver.driverName;
    info.driver_info = driver.driverInfo;
  }
  info.max_storage_buffer_range = limits.maxStorageBufferRange;
  info.max_texel_buffer_elements = limits.maxTexelBufferElements;
  info.max_memory_allocation_size = maintenance3.maxMemoryAllocationSize;
  info.min_storage_buffer_offset_alignment = limits.minStorageBufferOffsetAlignment;
  info.max_shared_memory = limits.maxComputeSharedMemorySize;
  info.max_workgroup_invocations = limits.maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; ++i) {
    info.max_workgroup_size[i] = limits.maxComputeWorkGroupSize[i];
    info.max_workgroup_count[i] = limits.maxComputeWorkGroupCount[i];
  }
  info.max_push_constants = limits.maxPushConstantsSize;
  info.subgroup_size = subgroup.subgroupSize;
  info.subgroup_operations = subgroup.supportedOperations;
  info.subgroup_stages = subgroup.supportedStages;
  info.min_subgroup_size = size_control.minSubgroupSize;
  info.max_subgroup_size = size_control.maxSubgroupSize;
  info.required_subgroup_size_stages = size_control.requiredSubgroupSizeStages;
  info.timestamp_period_ns = limits.timestampPeriod;
  return limits;
}

// Whether both weight texel formats work as uniform texel buffers.
void probe_texel_formats(VkPhysicalDevice device, DeviceInfo& info) {
  info.texel_formats = true;
  for (VkFormat format : {VK_FORMAT_R32G32B32A32_SFLOAT, VK_FORMAT_R32G32B32A32_UINT}) {
    VkFormatProperties properties{};
    vkGetPhysicalDeviceFormatProperties(device, format, &properties);
    if (!(properties.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT)) info.texel_formats = false;
  }
}

// The optional features the kernels may use.
void probe_features(VkPhysicalDevice device, DeviceInfo& info) {
  const bool v12 = has_vulkan_12(info.api_version);
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDeviceShaderFloat16Int8Features float16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  VkPhysicalDeviceBufferDeviceAddressFeatures bda{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES};
  storage16.pNext = &float16;
  if (v12) float16.pNext = &bda;
  VkPhysicalDeviceSubgroupSizeControlFeatures size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
  const bool has_size_control = has_extension(device, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  if (has_size_control) {
    size_control.pNext = storage16.pNext;
    storage16.pNext = &size_control;
  }
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &storage16;
  vkGetPhysicalDeviceFeatures2(device, &features);
  info.subgroup_size_control = has_size_control && size_control.subgroupSizeControl &&
                               (info.required_subgroup_size_stages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                               info.min_subgroup_size > 0 && info.min_subgroup_size <= info.max_subgroup_size;
  info.compute_full_subgroups = info.subgroup_size_control && size_control.computeFullSubgroups;
  info.storage_16bit = storage16.storageBuffer16BitAccess;
  info.float16_arithmetic = float16.shaderFloat16;
  info.int64 = features.features.shaderInt64;
  info.buffer_device_address = v12 && bda.bufferDeviceAddress;
  info.push_descriptors = has_extension(device, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
}

// The first queue family that computes, and whether it has timestamps.
void probe_compute_queue(VkPhysicalDevice device, DeviceInfo& info, const VkPhysicalDeviceLimits& limits) {
  uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, families.data());
  for (uint32_t f = 0; f < family_count; ++f) {
    if (families[f].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      info.compute_queue_family = f;
      info.timestamps = limits.timestampComputeAndGraphics || families[f].timestampValidBits > 0;
      break;
    }
  }
}

// The heaps, and whether device-local memory is also host-visible (unified memory).
void probe_memory(VkPhysicalDevice device, DeviceInfo& info) {
  VkPhysicalDeviceMemoryProperties memory{};
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  uint64_t largest_device_local = 0;
  for (uint32_t h = 0; h < memory.memoryHeapCount; ++h) {
    bool local = memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT;
    info.heaps.push_back({memory.memoryHeaps[h].size, local});
    if (local) largest_device_local = std::max(largest_device_local, memory.memoryHeaps[h].size);
  }
  const VkMemoryPropertyFlags unified = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                        VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t t = 0; t < memory.memoryTypeCount; ++t) {
    // Unified only when the host-visible device-local type sits on the main device heap (not
    // a discrete GPU's small resizable-BAR window).
    if ((memory.memoryTypes[t].propertyFlags & unified) == unified &&
        memory.memoryHeaps[memory.memoryTypes[t].heapIndex].size == largest_device_local)
      info.device_local_host_visible = true;
  }
}

}  // namespace

DeviceInfo probe(VkPhysicalDevice device, uint32_t index) {
  DeviceInfo info;
  info.index = index;
  const VkPhysicalDeviceLimits limits = probe_properties(device, info);
  probe_texel_formats(device, info);
  choose_weight_fetch(info);  // needs the driver, the subgroup size and the texel formats
  probe_features(device, info);
  probe_compute_queue(device, info, limits);
  probe_memory(device, info);
  return info;
}

uint64_t DeviceInfo::device_local_bytes() const {
  uint64_t total = 0;
  for (const auto& h : heaps)
    if (h.device_local) total += h.size;
  return total;
}

const char* DeviceInfo::type_name() const {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
  }
}

std::string DeviceInfo::api_version_string() const {
  return std::to_string(VK_API_VERSION_MAJOR(api_version)) + "." +
         std::to_string(VK_API_VERSION_MINOR(api_version)) + "." +
         std::to_string(VK_API_VERSION_PATCH(api_version));
}

std::string DeviceInfo::driver_version_string() const {
  // Mesa (and most drivers) encode the version like VK_MAKE_VERSION; NVIDIA uses 10.8.8.6 bits.
  if (vendor_id == 0x10DE)
    return std::to_string(driver_version >> 22) + "." + std::to_string((driver_version >> 14) & 0xff);
  return std::to_string(VK_VERSION_MAJOR(driver_version)) + "." +
         std::to_string(VK_VERSION_MINOR(driver_version)) + "." +
         std::to_string(VK_VERSION_PATCH(driver_version));
}

bool DeviceInfo::supports_cpu_variant() const {
  return buffer_device_address && int64 &&
         has_subgroup_ops(VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_BALLOT_BIT |
                          VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
         (subgroup_size == 4 || subgroup_size == 8 || subgroup_size == 16 || subgroup_size == 32 ||
          subgroup_size == 64);
}

KernelVariant DeviceInfo::preferred_variant() const {
  if (forced_variant) return *forced_variant;
  // The one driver special case: CPU Vulkan implementations (lavapipe/llvmpipe, SwiftShader)
  // turn descriptor-indexed loads into per-lane scalar loops and shared memory into the same
  // slow path; buffer-device-address gathers and subgroup broadcasts are what they do well.
  if (is_cpu() && supports_cpu_variant()) return KernelVariant::Cpu;
  return KernelVariant::Gpu;
}

}  // namespace vkcap::vk
