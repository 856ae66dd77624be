#include "vk/context.h"

#include <cstring>
#include <vector>

#include "util/error.h"
#include "vk/check.h"
#include "vk/shader_registry.h"
#include "vk/subgroup_size_control.h"

namespace vkcap::vk {

namespace {

// ContextOptions::kernels and ::weight_fetch override what the probe chose for the device.
void apply_kernel_choices(DeviceInfo& info, const ContextOptions& options) {
  if (options.kernels == "gpu") {
    info.forced_variant = KernelVariant::Gpu;
  } else if (options.kernels == "cpu") {
    if (!info.supports_cpu_variant())
      throw Error("kernel family cpu: device '" + info.name + "' lacks buffer device address, int64 or subgroup support");
    info.forced_variant = KernelVariant::Cpu;
  } else if (!options.kernels.empty()) {
    throw Error("kernel family '" + options.kernels + "' is unknown (use gpu or cpu)");
  }
  if (options.weight_fetch == "addresses") {
    info.texel_weights = false;
    info.weight_fetch_reason = "asked for addresses";
  } else if (options.weight_fetch == "texels") {
    if (!info.texel_formats)
      throw Error("weight fetch texels: device '" + info.name + "' has no RGBA32F/RGBA32UI uniform texel buffers");
    info.texel_weights = true;
    info.weight_fetch_reason = "asked for texels";
  } else if (!options.weight_fetch.empty()) {
    throw Error("weight fetch '" + options.weight_fetch + "' is unknown (use texels or addresses)");
  }
}

}  // namespace

Context::Context(const ContextOptions& options) : faults_(options.fault_injection) {
  InstanceOptions instance_options;
  instance_options.cpu_vector_width = parse_cpu_vector_width(options.cpu_vector_width, "ContextOptions::cpu_vector_width");
  instance_options.cache_dir = options.pipeline_cache_dir;
  instance_options.validation = options.validation;
  instance_options.sync_validation = options.sync_validation;
  instance_options.on_message = options.on_validation_message;
  instance_ = std::make_unique<Instance>(instance_options);
  const auto& devices = instance_->devices();
  const uint32_t index = choose_device(devices, options.device);
  info_ = devices[index];
  apply_kernel_choices(info_, options);
  physical_ = instance_->physical_devices()[index];
  if (info_.compute_queue_family == UINT32_MAX)
    throw Error("Vulkan device '" + info_.name + "' has no compute queue");
  if (info_.is_cpu() && devices.size() == 1 && options.notice)
    options.notice("no GPU found; running on " + info_.name + " (CPU Vulkan), which is much slower");

  if (options.subgroup_size) {
    check_requestable_subgroup_size(info_, options.subgroup_size);
    info_.required_subgroup_size = info_.subgroup_size = options.subgroup_size;
  }

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = info_.compute_queue_family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;

  // Enable exactly the optional features the probe found and the kernels may use.
  VkPhysicalDevice16BitStorageFeatures storage16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  storage16.storageBuffer16BitAccess = info_.storage_16bit;
  VkPhysicalDeviceShaderFloat16Int8Features float16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  float16.shaderFloat16 = info_.float16_arithmetic;
  VkPhysicalDeviceBufferDeviceAddressFeatures bda{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES};
  bda.bufferDeviceAddress = info_.buffer_device_address;
  storage16.pNext = &float16;
  if (info_.buffer_device_address) float16.pNext = &bda;
  // Subgroup size control only when a size is required: the default run stays as it always was.
  VkPhysicalDeviceSubgroupSizeControlFeatures size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
  size_control.subgroupSizeControl = VK_TRUE;
  size_control.computeFullSubgroups = info_.compute_full_subgroups;
  std::vector<const char*> extensions;
  if (info_.required_subgroup_size) {
    extensions.push_back(VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    size_control.pNext = storage16.pNext;
    storage16.pNext = &size_control;
  }
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.features.shaderInt64 = info_.int64;
  features.pNext = &storage16;

  VkDeviceCreateInfo create{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  create.pNext = &features;
  create.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  create.ppEnabledExtensionNames = extensions.data();
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queue;
  check(vkCreateDevice(physical_, &create, nullptr, &device_), "vkCreateDevice(" + info_.name + ")");
  vkGetDeviceQueue(device_, info_.compute_queue_family, 0, &queue_);

  allocator_ = std::make_unique<Allocator>(device_, physical_, info_, 256ull << 20, options.memory_budget);
  pipeline_cache_ = std::make_unique<PipelineCache>(device_, info_, options.pipeline_cache_dir);
  // Said once: the run that fills an empty cache is the slow one, later runs load the kernels.
  if (!pipeline_cache_->loaded_from_disk() && !pipeline_cache_->path().empty() && options.notice)
    options.notice("compiling kernels for " + info_.name + " (first run; later runs load them from " +
                   pipeline_cache_->path().parent_path().string() + ")");
  profile_enabled_ = options.profile && info_.timestamps;
  host_products_ = options.host_products;
}

Context::~Context() {
  if (device_) vkDeviceWaitIdle(device_);
  kernels_.clear();
  pipeline_cache_.reset();
  allocator_.reset();
  if (device_) vkDestroyDevice(device_, nullptr);
}

const Kernel& Context::kernel(const KernelSpec& spec) {
  std::lock_guard lock(kernels_mutex_);
  auto facts = shader_facts_.find(spec.shader);
  if (facts == shader_facts_.end())
    facts = shader_facts_.emplace(spec.shader, shader_facts(shaders::find(spec.shader))).first;
  KernelSpec built = spec;
  if (facts->second.uses_subgroups) {
    subgroup_kernel_requests_.fetch_add(1);
    built.required_subgroup_size = info_.required_subgroup_size;
    // Full subgroups need a workgroup width that is a multiple of the size (VUID-02758); the
    // Cpu-shaped kernels' workgroup is one subgroup, so theirs always is.
    const uint32_t width = facts->second.workgroup_x(spec.specialization);
    built.full_subgroups = info_.required_subgroup_size && info_.compute_full_subgroups && width > 0 &&
                           width % info_.required_subgroup_size == 0;
  }
  auto& slot = kernels_[built.key()];
  if (!slot) slot = std::make_unique<Kernel>(device_, pipeline_cache_->handle(), built);
  return *slot;
}

void Context::upload(const Buffer& dst, const void* data, uint64_t bytes, uint64_t dst_offset) {
  if (bytes == 0) return;
  if (dst_offset + bytes > dst.size()) throw Error("upload of " + std::to_string(bytes) + " bytes overruns a buffer");
  if (dst.mapped()) {
    std::memcpy(static_cast<uint8_t*>(dst.mapped()) + dst_offset, data, bytes);
    return;
  }
  Buffer staging = allocator_->create_buffer(bytes, MemoryKind::Staging);
  std::memcpy(staging.mapped(), data, bytes);
  Recorder recorder(*this);
  recorder.copy(staging, dst, bytes, 0, dst_offset);
  recorder.submit();
}

void Context::download(const Buffer& src, void* data, uint64_t bytes, uint64_t src_offset) {
  if (bytes == 0) return;
  if (src_offset + bytes > src.size()) throw Error("download of " + std::to_string(bytes) + " bytes overruns a buffer");
  if (src.mapped()) {
    std::memcpy(data, static_cast<const uint8_t*>(src.mapped()) + src_offset, bytes);
    return;
  }
  Buffer staging = allocator_->create_buffer(bytes, MemoryKind::Staging);
  Recorder recorder(*this);
  recorder.copy(src, staging, bytes, src_offset, 0);
  recorder.submit();
  std::memcpy(data, staging.mapped(), bytes);
}

}  // namespace vkcap::vk
