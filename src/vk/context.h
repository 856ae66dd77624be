#pragma once
// A Vulkan device ready for compute: the chosen physical device, one compute queue, the memory
// allocator, the pipeline cache and the kernels built so far. Everything above src/vk talks to
// the GPU through a Context.
#include <vulkan/vulkan.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "vk/device_info.h"
#include "vk/fault_injection.h"
#include "vk/instance.h"
#include "vk/kernel.h"
#include "vk/memory.h"
#include "vk/pipeline_cache.h"
#include "vk/recorder.h"
#include "vk/spirv_facts.h"

namespace vkcap::vk {

struct ContextOptions {
  std::string device;           // index or name substring; empty = the best device
  bool validation = false;      // Khronos validation layer
  bool sync_validation = true;  // with validation
  bool profile = false;         // timestamp every dispatch
  MessageSink on_validation_message;  // default: stderr
  // Kernel family: "" = the device's own choice, "gpu" or "cpu".
  std::string kernels;
  // How the CPU-shaped kernels read weights: "" = the probe's choice, "texels" or "addresses".
  std::string weight_fetch;
  // llvmpipe's SIMD width: "" or "auto" = 512 bits on AVX-512 CPUs unless LP_NATIVE_VECTOR_WIDTH
  // is set, "256" or "512". Applied before the process's first Vulkan instance; a later Context
  // cannot change it (vk/cpu_vector_width.h).
  std::string cpu_vector_width;
  uint64_t memory_budget = 0;   // bytes; 0 = unlimited
  // Where compiled pipelines (and, on llvmpipe, Mesa's shader cache) are kept between runs;
  // empty = nowhere: every process compiles its kernels afresh.
  std::filesystem::path pipeline_cache_dir;
  // For tests of GPU failures: "device-lost@N", "submit-error@N" or "validation-message@N"
  // (vk/fault_injection.h); empty = none.
  std::string fault_injection;
  // On a CPU device (lavapipe), large matrix products (encoders) run through the host's BLAS on
  // the mapped buffers (kernels/linear_host.h); false keeps every product in shaders.
  bool host_products = true;
  // A subgroup size every pipeline that uses subgroup operations must run at (one of
  // requestable_subgroup_sizes(), vk/subgroup_size_control.h); the kernels are then specialised
  // and their weights packed for it. 0 = the driver's default size, as vkcap always runs unless
  // told otherwise (VKCAP_SUBGROUP_SIZE). `vkcap selftest` uses it to check every size.
  uint32_t subgroup_size = 0;
  // One-line notices for people (e.g. "running on lavapipe"); the CLI prints them.
  std::function<void(const std::string&)> notice;
};

class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& info() const { return info_; }
  Instance& instance() { return *instance_; }
  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  Allocator& allocator() { return *allocator_; }
  PipelineCache& pipeline_cache() { return *pipeline_cache_; }
  bool profiling() const { return profile_enabled_; }
  bool host_products() const { return host_products_; }
  Profile& profile() { return profile_; }
  const Profile& profile() const { return profile_; }
  FaultInjector& faults() { return faults_; }

  Buffer create_buffer(uint64_t bytes) { return allocator_->create_buffer(bytes, MemoryKind::Device); }
  // Copies host data into / out of a device buffer: directly when it is mapped, through a
  // staging buffer otherwise.
  void upload(const Buffer& dst, const void* data, uint64_t bytes, uint64_t dst_offset = 0);
  void download(const Buffer& src, void* data, uint64_t bytes, uint64_t src_offset = 0);
  template <typename T>
  Buffer upload_vector(std::span<const T> values) {
    Buffer b = create_buffer(values.size_bytes());
    upload(b, values.data(), values.size_bytes());
    return b;
  }

  // Builds (or returns the already built) pipeline for a spec; a shader using subgroup
  // operations gets ContextOptions::subgroup_size, if set (KernelSpec::required_subgroup_size).
  const Kernel& kernel(const KernelSpec& spec);
  // How many kernel() calls so far asked for a shader that uses subgroup operations: a check
  // that made none does not depend on the subgroup size.
  uint64_t subgroup_kernel_requests() const { return subgroup_kernel_requests_.load(); }

 private:
  std::unique_ptr<Instance> instance_;
  DeviceInfo info_;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<PipelineCache> pipeline_cache_;
  std::mutex kernels_mutex_;
  std::unordered_map<std::string, std::unique_ptr<Kernel>> kernels_;
  std::unordered_map<std::string, ShaderFacts> shader_facts_;  // by shader name
  std::atomic<uint64_t> subgroup_kernel_requests_{0};
  bool profile_enabled_ = false;
  bool host_products_ = true;
  Profile profile_;
  FaultInjector faults_;  // ContextOptions::fault_injection, for tests of GPU failures
};

}  // namespace vkcap::vk
