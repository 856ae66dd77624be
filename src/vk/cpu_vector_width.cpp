#include "vk/cpu_vector_width.h"

#include <cstdlib>
#include <mutex>
#include <optional>

#include "util/error.h"

namespace vkcap::vk {

namespace {

// Mesa's own variables, as the user may have set them for the driver.
std::string driver_env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

const char* width_text(CpuVectorWidth width) {
  switch (width) {
    case CpuVectorWidth::Bits256: return "256";
    case CpuVectorWidth::Bits512: return "512";
    case CpuVectorWidth::Auto: break;
  }
  return "";
}

std::mutex setup_mutex;
std::optional<VectorWidthSetup> setup_done;

}  // namespace

CpuVectorWidth parse_cpu_vector_width(std::string_view text, std::string_view where) {
  if (text.empty() || text == "auto") return CpuVectorWidth::Auto;
  if (text == "256") return CpuVectorWidth::Bits256;
  if (text == "512") return CpuVectorWidth::Bits512;
  throw Error(std::string(where) + ": CPU vector width '" + std::string(text) + "' is unknown (use auto, 256 or 512)");
}

bool cpu_has_avx512f() {
#if defined(__x86_64__) || defined(__i386__)
  // GCC's and Clang's check covers both the cpuid bit and the OS saving the zmm registers.
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

std::string VectorWidthSetup::describe() const {
  return (width.empty() ? std::string("llvmpipe default") : width + " bits") + " (" + reason + ")";
}

VectorWidthSetup decide_cpu_vector_width(const VectorWidthInputs& in) {
  VectorWidthSetup out;
  if (in.requested != CpuVectorWidth::Auto) {
    out.width = width_text(in.requested);
    out.reason = "explicitly asked for";
  } else if (!in.user_width.empty()) {
    out.width = in.user_width;
    out.reason = "LP_NATIVE_VECTOR_WIDTH set by the user";
  } else if (in.avx512f) {
    out.width = "512";
    out.reason = "auto: the CPU has AVX-512";
  } else {
    out.reason = "auto: the CPU has no AVX-512";
  }
  // Mesa's shader cache, one directory per width (see the header), unless the user placed it.
  if (in.user_mesa_cache.empty()) {
    if (!in.vkcap_cache_dir.empty())
      out.mesa_cache_dir = in.vkcap_cache_dir + "/mesa-lp" + (out.width.empty() ? "default" : out.width);
    else
      out.disable_mesa_cache = true;
  }
  return out;
}

const VectorWidthSetup& setup_cpu_vector_width(CpuVectorWidth requested, const std::filesystem::path& cache_dir) {
  std::lock_guard lock(setup_mutex);
  if (setup_done) {
    if (requested != CpuVectorWidth::Auto && setup_done->width != width_text(requested))
      throw Error(std::string("a CPU vector width of ") + width_text(requested) +
                  " bits was asked for, but this process already created a Vulkan instance with " +
                  setup_done->describe() + "; llvmpipe reads it once per process");
    return *setup_done;
  }
  VectorWidthInputs in;
  in.requested = requested;
  in.user_width = driver_env_or_empty("LP_NATIVE_VECTOR_WIDTH");
  in.avx512f = cpu_has_avx512f();
  in.user_mesa_cache = driver_env_or_empty("MESA_SHADER_CACHE_DIR");
  in.vkcap_cache_dir = cache_dir.string();
  VectorWidthSetup setup = decide_cpu_vector_width(in);
  if (!setup.width.empty()) ::setenv("LP_NATIVE_VECTOR_WIDTH", setup.width.c_str(), 1);
  if (!setup.mesa_cache_dir.empty()) ::setenv("MESA_SHADER_CACHE_DIR", setup.mesa_cache_dir.c_str(), 1);
  if (setup.disable_mesa_cache) ::setenv("MESA_SHADER_CACHE_DISABLE", "true", 0);
  setup_done = std::move(setup);
  return *setup_done;
}

const VectorWidthSetup* cpu_vector_width_setup() {
  std::lock_guard lock(setup_mutex);
  return setup_done ? &*setup_done : nullptr;
}

}  // namespace vkcap::vk
