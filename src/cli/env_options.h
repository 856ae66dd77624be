#pragma once
// The one place the vkcap tool reads its environment variables and maps them onto the library's
// options (the library itself reads none). A command-line flag beats its variable, which beats
// the library's default.
//   VKCAP_DEVICE=INDEX|NAME|LIST|all    the GPU, or one worker per listed GPU: "0,2,3", "0,0"
//                                       (two workers on one), "all" (--device wins)
//   VKCAP_VALIDATE=1                    the Khronos validation layer ("" or "0": off)
//   VKCAP_KERNELS=gpu|cpu               force a kernel family
//   VKCAP_WEIGHT_FETCH=texels|addresses how the CPU-shaped kernels read weights
//   VKCAP_SUBGROUP_SIZE=N               run the kernels at a required subgroup size
//   VKCAP_CPU_VECTOR_WIDTH=auto|256|512 llvmpipe's SIMD width
//   VKCAP_MAX_DEVICE_MEMORY=512M        a device-memory budget
//   VKCAP_CACHE_DIR=DIR|off             the pipeline cache; default $XDG_CACHE_HOME/vkcap, else
//                                       ~/.cache/vkcap
//   VKCAP_NO_BLAS=1                     on a CPU device, encoder products in shaders, not OpenBLAS
//   VKCAP_FAULT_INJECT=KIND@N           for tests: make GPU submission N fail (vk/fault_injection.h)
//   VKCAP_FAULT_INJECT=W:KIND@N         the same in worker W only (0-based, the W-th --device
//                                       entry); a comma-separated list may name several workers
//   HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME (then XDG_CACHE_HOME, HOME): where model ids
//                                       (ORG/NAME) are looked up, as huggingface_hub does
// VKCAP_DEFAULT_MODEL, the bundled model's directory, belongs to cli/model_location.h.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vk/context.h"
#include "vk/instance.h"
#include "vkcap/captioner.h"

namespace vkcap::cli {

// Options every GPU command takes on its command line.
struct DeviceOptions {
  std::string device;
  bool profile = false;
  // --no-blas: keep all the work in shaders on a CPU device (no host steps: kernels/linear_host.h).
  bool no_blas = false;
};

// The VKCAP_* variables as found (unset = empty / false / 0). Throws vkcap::Error naming the
// variable when a value cannot be parsed (a size, a vector width).
struct EnvironmentOptions {
  std::string device;
  bool validation = false;
  std::string kernels;
  std::string weight_fetch;
  uint32_t subgroup_size = 0;
  std::string cpu_vector_width;
  uint64_t max_device_memory = 0;
  std::filesystem::path cache_dir;  // resolved: VKCAP_CACHE_DIR, else the default; empty = off
  std::string fault_injection;
  bool no_blas = false;
};
EnvironmentOptions read_environment();

// VKCAP_CACHE_DIR ("off": none), else $XDG_CACHE_HOME/vkcap, else ~/.cache/vkcap, else none.
std::filesystem::path cache_dir_from_environment();
// $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::filesystem::path hf_hub_cache_from_environment();

// The library's options for a command: its flags over the environment over the defaults.
vk::InstanceOptions instance_options_from_environment();
vk::ContextOptions context_options(const DeviceOptions& flags);
CaptionerOptions captioner_options(const DeviceOptions& flags);

// The part of a VKCAP_FAULT_INJECT value that applies to device worker `worker`: "KIND@N" applies
// to every worker, "W:KIND@N" to worker W only; a comma-separated list's first match wins.
std::string fault_injection_for_worker(const std::string& spec, size_t worker);

// "a,b,,c" → {"a", "b", "", "c"}; "" → {""}: the lists --device and VKCAP_FAULT_INJECT take.
std::vector<std::string> split_commas(const std::string& list);

}  // namespace vkcap::cli
