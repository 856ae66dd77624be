#pragma once
// The SIMD width of llvmpipe (lavapipe, Mesa's CPU Vulkan driver) for this process, chosen before
// the first Vulkan instance exists: llvmpipe reads LP_NATIVE_VECTOR_WIDTH once per process, when
// the loader first creates its device. 512-bit vectors (16-lane subgroups) make the encoder's
// matmuls ~1.4x faster on CPUs with AVX-512 (docs/lavapipe-vector-width.md); without AVX-512
// LLVM would split every 512-bit operation in two, so the default stays llvmpipe's own.
//
// The same place gives Mesa's on-disk shader cache a directory per vector width: Mesa 25.0's
// llvmpipe caches its texel-fetch functions under a key that leaves the width out, so a process
// at 512 bits loads 256-bit code compiled by an earlier run (wrong texels, silently) and the
// reverse crashes.
#include <filesystem>
#include <string>
#include <string_view>

namespace vkcap::vk {

// What the caller asks for: "auto" (512 bits where the CPU has AVX-512 and the user has not set
// LP_NATIVE_VECTOR_WIDTH), or an explicit width, which overrides LP_NATIVE_VECTOR_WIDTH.
enum class CpuVectorWidth { Auto, Bits256, Bits512 };

// "" and "auto" = Auto, "256", "512"; anything else throws vkcap::Error naming `where`.
CpuVectorWidth parse_cpu_vector_width(std::string_view text, std::string_view where);

// Whether this CPU and OS run AVX-512F code (cpuid and the OS-enabled register state).
bool cpu_has_avx512f();

// The environment a process starts from (the parts the decision reads).
struct VectorWidthInputs {
  CpuVectorWidth requested = CpuVectorWidth::Auto;
  std::string user_width;        // LP_NATIVE_VECTOR_WIDTH as found ("" = unset)
  bool avx512f = false;
  std::string user_mesa_cache;   // MESA_SHADER_CACHE_DIR as found ("" = unset)
  std::string vkcap_cache_dir;   // InstanceOptions::cache_dir ("" = caching off)
};

// The decision: the environment variables to set ("" = leave alone) and why, for `vkcap devices`.
struct VectorWidthSetup {
  std::string width;             // value for LP_NATIVE_VECTOR_WIDTH; "" = llvmpipe's default
  std::string mesa_cache_dir;    // value for MESA_SHADER_CACHE_DIR; "" = leave as is
  bool disable_mesa_cache = false;  // set MESA_SHADER_CACHE_DISABLE=true (vkcap caching off)
  std::string reason;            // e.g. "auto: the CPU has AVX-512"
  // "512 bits (auto: the CPU has AVX-512)" or "llvmpipe default (no AVX-512)".
  std::string describe() const;
};
VectorWidthSetup decide_cpu_vector_width(const VectorWidthInputs& inputs);

// Decides from `requested`, `cache_dir` and the driver's own variables the user may have set
// (LP_NATIVE_VECTOR_WIDTH, MESA_SHADER_CACHE_DIR), and applies it by setting Mesa's variables
// (setenv): that is how a Vulkan driver is configured before it loads. Once per process: later
// calls return the first decision, and throw vkcap::Error if they ask for a different explicit
// width (the driver cannot change it any more). Called by vk::Instance before vkCreateInstance.
const VectorWidthSetup& setup_cpu_vector_width(CpuVectorWidth requested, const std::filesystem::path& cache_dir);
// The decision made so far in this process, or nullptr before the first Instance.
const VectorWidthSetup* cpu_vector_width_setup();

}  // namespace vkcap::vk
