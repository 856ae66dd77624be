#include "cli/env_options.h"

#include <algorithm>
#include <cstdlib>

#include "api/context_options.h"
#include "vk/cpu_vector_width.h"
#include "util/error.h"
#include "vk/memory.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// VKCAP_SUBGROUP_SIZE: a positive number, or unset/empty for the driver's default (whether the
// device allows it is the Context's to say).
uint32_t parse_subgroup_size(const std::string& text) {
  if (text.empty()) return 0;
  const bool digits =
      text.size() <= 4 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoul(text) == 0)
    throw Error("VKCAP_SUBGROUP_SIZE='" + text + "' is not a subgroup size (a power of two such as 8, 16, 32 or 64)");
  return static_cast<uint32_t>(std::stoul(text));
}

}  // namespace

fs::path cache_dir_from_environment() {
  if (const std::string dir = env_or_empty("VKCAP_CACHE_DIR"); !dir.empty()) return dir == "off" ? fs::path() : fs::path(dir);
  if (const std::string xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "vkcap";
  if (const std::string home = env_or_empty("HOME"); !home.empty()) return fs::path(home) / ".cache" / "vkcap";
  return {};
}

fs::path hf_hub_cache_from_environment() {
  if (const std::string dir = env_or_empty("HF_HUB_CACHE"); !dir.empty()) return dir;
  if (const std::string dir = env_or_empty("HUGGINGFACE_HUB_CACHE"); !dir.empty()) return dir;
  if (const std::string home = env_or_empty("HF_HOME"); !home.empty()) return fs::path(home) / "hub";
  if (const std::string xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty()) return fs::path(xdg) / "huggingface" / "hub";
  const std::string home = env_or_empty("HOME");
  return fs::path(home.empty() ? "." : home) / ".cache" / "huggingface" / "hub";
}

EnvironmentOptions read_environment() {
  EnvironmentOptions e;
  e.device = env_or_empty("VKCAP_DEVICE");
  const std::string validate = env_or_empty("VKCAP_VALIDATE");
  e.validation = !validate.empty() && validate != "0";
  e.kernels = env_or_empty("VKCAP_KERNELS");
  e.weight_fetch = env_or_empty("VKCAP_WEIGHT_FETCH");
  e.subgroup_size = parse_subgroup_size(env_or_empty("VKCAP_SUBGROUP_SIZE"));
  e.cpu_vector_width = env_or_empty("VKCAP_CPU_VECTOR_WIDTH");
  vk::parse_cpu_vector_width(e.cpu_vector_width, "VKCAP_CPU_VECTOR_WIDTH");  // a bad value names the variable
  e.max_device_memory = vk::parse_byte_size(env_or_empty("VKCAP_MAX_DEVICE_MEMORY"), "VKCAP_MAX_DEVICE_MEMORY");
  e.cache_dir = cache_dir_from_environment();
  e.fault_injection = env_or_empty("VKCAP_FAULT_INJECT");
  const std::string no_blas = env_or_empty("VKCAP_NO_BLAS");
  e.no_blas = !no_blas.empty() && no_blas != "0";
  return e;
}

vk::InstanceOptions instance_options_from_environment() {
  const EnvironmentOptions e = read_environment();
  vk::InstanceOptions o;
  o.validation = e.validation;
  o.cpu_vector_width = vk::parse_cpu_vector_width(e.cpu_vector_width, "VKCAP_CPU_VECTOR_WIDTH");
  o.cache_dir = e.cache_dir;
  return o;
}

vk::ContextOptions context_options(const DeviceOptions& flags) {
  return api::context_options(captioner_options(flags));  // the library's own mapping
}

CaptionerOptions captioner_options(const DeviceOptions& flags) {
  const EnvironmentOptions e = read_environment();
  CaptionerOptions o;
  o.device = flags.device.empty() ? e.device : flags.device;
  o.profile = flags.profile;
  o.validation = e.validation;
  o.kernels = e.kernels;
  o.weight_fetch = e.weight_fetch;
  o.subgroup_size = e.subgroup_size;
  o.cpu_vector_width = e.cpu_vector_width;
  o.max_device_memory = e.max_device_memory;
  o.pipeline_cache_dir = e.cache_dir;
  o.hf_hub_cache = hf_hub_cache_from_environment();
  o.fault_injection = fault_injection_for_worker(e.fault_injection, 0);
  o.host_blas = !(flags.no_blas || e.no_blas);
  return o;
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> items;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

std::string fault_injection_for_worker(const std::string& spec, size_t worker) {
  for (const std::string& item : split_commas(spec)) {
    const size_t colon = item.find(':');
    if (colon == std::string::npos) return item;
    const std::string index = item.substr(0, colon);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos)
      throw Error("VKCAP_FAULT_INJECT '" + spec + "': expected KIND@N or WORKER:KIND@N");
    if (std::stoull(index) == worker) return item.substr(colon + 1);
  }
  return {};
}

}  // namespace vkcap::cli
