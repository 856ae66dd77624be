// `vkcap devices`: every Vulkan device, what it can do, and which one vkcap would use.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "vk/instance.h"

namespace vkcap::cli {

namespace {

std::string gib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", double(bytes) / (1ull << 30));
  return text;
}

int run_devices(bool verbose) {
  vk::Instance instance(instance_options_from_environment());
  const auto& devices = instance.devices();
  if (devices.empty()) {
    std::fprintf(stderr, "vkcap: no Vulkan device found; on Debian/Ubuntu install mesa-vulkan-drivers (lavapipe)\n");
    return 1;
  }
  uint32_t chosen = vk::choose_device(devices, read_environment().device);
  for (const vk::DeviceInfo& d : devices) {
    std::printf("%s %u: %s\n", d.index == chosen ? "*" : " ", d.index, d.name.c_str());
    std::printf("     type %s, driver %s %s (version %s), Vulkan %s\n", d.type_name(), d.driver_name.c_str(),
                d.driver_info.c_str(), d.driver_version_string().c_str(), d.api_version_string().c_str());
    std::printf("     memory %s device-local%s, subgroup %u, fp16 %s, 16-bit storage %s, kernels %s\n",
                gib(d.device_local_bytes()).c_str(), d.device_local_host_visible ? " (host-visible)" : "",
                d.subgroup_size, d.float16_arithmetic ? "yes" : "no", d.storage_16bit ? "yes" : "no",
                d.preferred_variant() == vk::KernelVariant::Cpu ? "cpu-shaped" : "gpu-shaped");
    if (d.is_cpu())
      std::printf("     vector width %s\n",
                  vk::cpu_vector_width_setup() ? vk::cpu_vector_width_setup()->describe().c_str() : "?");
    if (d.preferred_variant() == vk::KernelVariant::Cpu)
      std::printf("     weights read as %s (%s)\n", d.texel_weights ? "texels" : "addresses",
                  d.weight_fetch_reason.c_str());
    if (verbose) {
      std::printf("     maxStorageBufferRange %llu, maxMemoryAllocationSize %llu, shared memory %u, "
                  "workgroup invocations %u, push constants %u, buffer device address %s, push descriptors %s, "
                  "timestamps %s, int64 %s\n",
                  (unsigned long long)d.max_storage_buffer_range, (unsigned long long)d.max_memory_allocation_size,
                  d.max_shared_memory, d.max_workgroup_invocations, d.max_push_constants,
                  d.buffer_device_address ? "yes" : "no", d.push_descriptors ? "yes" : "no",
                  d.timestamps ? "yes" : "no", d.int64 ? "yes" : "no");
    }
  }
  std::printf("(* = default; choose with --device INDEX|NAME or VKCAP_DEVICE)\n");
  return 0;
}

}  // namespace

void add_device_options(CLI::App& command, DeviceOptions& options) {
  command.add_option("-d,--device", options.device,
                     "GPU to use: index or name substring (see 'vkcap devices'); default: VKCAP_DEVICE, else the best. "
                     "caption also takes 'all' or a list ('0,2,3'; '0,0' = two workers on one): one worker per entry");
  command.add_flag("--profile", options.profile, "print GPU time per kernel at the end");
  command.add_flag("--no-blas", options.no_blas,
                   "on a CPU Vulkan device, run everything in shaders: no OpenBLAS products or other host steps "
                   "(also VKCAP_NO_BLAS=1)");
}

Run add_devices_command(CLI::App& app) {
  auto* command = app.add_subcommand("devices", "list Vulkan devices and their capabilities");
  auto verbose = std::make_shared<bool>(false);
  command->add_flag("-v,--verbose", *verbose, "show every probed limit");
  return [verbose] { return run_devices(*verbose); };
}

}  // namespace vkcap::cli
