// llvmpipe's vector width (vk/cpu_vector_width.h): the decision from the options and the user's
// Mesa variables, and that the driver of this process really runs at the width that was set up.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "common/gpu/harness.h"
#include "util/error.h"
#include "vk/cpu_vector_width.h"

using namespace vkcap::vk;

namespace {

VectorWidthInputs inputs(CpuVectorWidth requested, std::string user_width, bool avx512) {
  VectorWidthInputs in;
  in.requested = requested;
  in.user_width = std::move(user_width);
  in.avx512f = avx512;
  in.vkcap_cache_dir = "/home/u/.cache/vkcap";
  return in;
}

}  // namespace

TEST_CASE("auto picks 512 bits on AVX-512 CPUs only, and never overrides the user's LP_NATIVE_VECTOR_WIDTH") {
  CHECK(decide_cpu_vector_width(inputs(CpuVectorWidth::Auto, "", true)).width == "512");
  CHECK(decide_cpu_vector_width(inputs(CpuVectorWidth::Auto, "", false)).width.empty());
  const VectorWidthSetup user = decide_cpu_vector_width(inputs(CpuVectorWidth::Auto, "256", true));
  CHECK(user.width == "256");
  CHECK(user.reason.find("LP_NATIVE_VECTOR_WIDTH") != std::string::npos);
  // An explicit request is the caller's decision and wins over the environment.
  CHECK(decide_cpu_vector_width(inputs(CpuVectorWidth::Bits256, "512", true)).width == "256");
  CHECK(decide_cpu_vector_width(inputs(CpuVectorWidth::Bits512, "", false)).width == "512");
}

TEST_CASE("Mesa's shader cache gets one directory per vector width unless the user placed it") {
  // llvmpipe caches its texel-fetch code without the width in the key: sharing one directory
  // between widths gives wrong texels at 512 bits and crashes at 256.
  const VectorWidthSetup wide = decide_cpu_vector_width(inputs(CpuVectorWidth::Auto, "", true));
  const VectorWidthSetup narrow = decide_cpu_vector_width(inputs(CpuVectorWidth::Auto, "", false));
  CHECK(wide.mesa_cache_dir == "/home/u/.cache/vkcap/mesa-lp512");
  CHECK(narrow.mesa_cache_dir == "/home/u/.cache/vkcap/mesa-lpdefault");
  CHECK_FALSE(wide.disable_mesa_cache);

  VectorWidthInputs placed = inputs(CpuVectorWidth::Auto, "", true);
  placed.user_mesa_cache = "/tmp/mine";
  CHECK(decide_cpu_vector_width(placed).mesa_cache_dir.empty());
  CHECK_FALSE(decide_cpu_vector_width(placed).disable_mesa_cache);

  VectorWidthInputs off = inputs(CpuVectorWidth::Auto, "", true);
  off.vkcap_cache_dir.clear();  // no cache directory (vkcap: VKCAP_CACHE_DIR=off): no cache files at all
  CHECK(decide_cpu_vector_width(off).mesa_cache_dir.empty());
  CHECK(decide_cpu_vector_width(off).disable_mesa_cache);
}

TEST_CASE("CPU vector widths parse as auto, 256 or 512 and anything else is a clear error") {
  CHECK(parse_cpu_vector_width("", "x") == CpuVectorWidth::Auto);
  CHECK(parse_cpu_vector_width("auto", "x") == CpuVectorWidth::Auto);
  CHECK(parse_cpu_vector_width("256", "x") == CpuVectorWidth::Bits256);
  CHECK(parse_cpu_vector_width("512", "x") == CpuVectorWidth::Bits512);
  CHECK_THROWS_WITH_AS(parse_cpu_vector_width("1024", "VKCAP_CPU_VECTOR_WIDTH"),
                       doctest::Contains("VKCAP_CPU_VECTOR_WIDTH: CPU vector width '1024' is unknown"),
                       vkcap::Error);
}

TEST_CASE("the vector width set up before the instance is the one llvmpipe runs at") {
  vkcap::test::gpu();  // the shared Context: its instance made the process's decision
  const VectorWidthSetup* setup = cpu_vector_width_setup();
  REQUIRE(setup != nullptr);
  const char* env = std::getenv("LP_NATIVE_VECTOR_WIDTH");
  if (!setup->width.empty()) {
    REQUIRE(env != nullptr);
    CHECK(std::string(env) == setup->width);
  }
  if (!setup->mesa_cache_dir.empty()) CHECK(std::string(std::getenv("MESA_SHADER_CACHE_DIR")) == setup->mesa_cache_dir);
  if (vkcap::test::gpu().info().driver_name != "llvmpipe") return;
  if (setup->width.empty()) {  // llvmpipe's own choice: 256 bits with AVX, 128 without
    CHECK(vkcap::test::gpu().info().subgroup_size <= 8);
    return;
  }
  // One 32-bit lane per vector element: 8 lanes at 256 bits, 16 at 512.
  const uint32_t bits = static_cast<uint32_t>(std::stoul(setup->width));
  CHECK(vkcap::test::gpu().info().subgroup_size == bits / 32);
  CHECK(vkcap::test::gpu().info().name.find(std::to_string(bits) + " bits") != std::string::npos);
  // A different explicit width cannot be had any more in this process.
  const CpuVectorWidth other = bits == 512 ? CpuVectorWidth::Bits256 : CpuVectorWidth::Bits512;
  CHECK_THROWS_WITH_AS(setup_cpu_vector_width(other, vkcap::test::test_cache_dir()), doctest::Contains("once per process"), vkcap::Error);
}
