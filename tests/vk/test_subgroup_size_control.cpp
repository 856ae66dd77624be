// Which subgroup sizes a device can be asked for (vk/subgroup_size_control.h), and what
// Context::kernel needs to know about a shader before it requires one (vk/spirv_facts.h).
#include <doctest/doctest.h>

#include "util/error.h"
#include "vk/shader_registry.h"
#include "vk/spirv_facts.h"
#include "vk/subgroup_size_control.h"

using namespace vkcap;
using Sizes = std::vector<uint32_t>;

TEST_CASE("subgroup sizes: the powers of two in [min, max], for compute only") {
  constexpr VkShaderStageFlags compute = VK_SHADER_STAGE_COMPUTE_BIT;
  CHECK(vk::requestable_subgroup_sizes(8, 8, compute) == Sizes{8});       // lavapipe, 256-bit vectors
  CHECK(vk::requestable_subgroup_sizes(16, 16, compute) == Sizes{16});    // lavapipe, 512 bits
  CHECK(vk::requestable_subgroup_sizes(8, 32, compute | VK_SHADER_STAGE_FRAGMENT_BIT) == Sizes{8, 16, 32});
  CHECK(vk::requestable_subgroup_sizes(32, 64, compute) == Sizes{32, 64});
  CHECK(vk::requestable_subgroup_sizes(4, 128, compute) == Sizes{4, 8, 16, 32, 64, 128});
  CHECK(vk::requestable_subgroup_sizes(8, 32, VK_SHADER_STAGE_FRAGMENT_BIT).empty());  // not for compute
  CHECK(vk::requestable_subgroup_sizes(0, 0, compute).empty());                        // no extension
  CHECK(vk::requestable_subgroup_sizes(64, 32, compute).empty());
  CHECK(vk::requestable_subgroup_sizes(0x80000000u, 0x80000000u, compute) == Sizes{0x80000000u});  // no overflow
}

TEST_CASE("subgroup sizes: a device without the feature offers none, and asking names what it allows") {
  vk::DeviceInfo info;
  info.name = "test device";
  info.subgroup_size = 32;
  info.min_subgroup_size = 8;
  info.max_subgroup_size = 32;
  info.required_subgroup_size_stages = VK_SHADER_STAGE_COMPUTE_BIT;
  CHECK(vk::requestable_subgroup_sizes(info).empty());  // subgroup_size_control is false
  CHECK_THROWS_WITH(vk::check_requestable_subgroup_size(info, 16), doctest::Contains("cannot be asked"));
  info.subgroup_size_control = true;
  CHECK(vk::requestable_subgroup_sizes(info) == Sizes{8, 16, 32});
  CHECK_NOTHROW(vk::check_requestable_subgroup_size(info, 16));
  CHECK_THROWS_WITH(vk::check_requestable_subgroup_size(info, 12), doctest::Contains("allows 8, 16, 32"));
  CHECK_THROWS_WITH(vk::check_requestable_subgroup_size(info, 64), doctest::Contains("allows 8, 16, 32"));
}

TEST_CASE("SPIR-V facts: subgroup use and the workgroup width of the embedded shaders") {
  const vk::ShaderFacts linear = vk::shader_facts(shaders::find("linear_cpu"));
  CHECK(linear.uses_subgroups);
  REQUIRE(linear.local_size_x_spec_id.has_value());
  CHECK(*linear.local_size_x_spec_id == 0);  // layout(local_size_x_id = 0): SG
  // glslang gives the width its own spec constant (same SpecId, default 1), not SG's default 8.
  CHECK(linear.local_size_x == 1);
  const std::vector<uint32_t> spec{16, 6, 0, 0, 0};
  CHECK(linear.workgroup_x(spec) == 16);

  const vk::ShaderFacts attention = vk::shader_facts(shaders::find("attention_cpu"));
  CHECK(attention.uses_subgroups);
  CHECK_FALSE(attention.local_size_x_spec_id.has_value());  // layout(local_size_x = SG), a literal
  CHECK(attention.local_size_x == 8);
  CHECK(vk::shader_facts(shaders::find("attention_cpu_sg16")).local_size_x == 16);

  const vk::ShaderFacts add = vk::shader_facts(shaders::find("add"));
  CHECK_FALSE(add.uses_subgroups);
  CHECK(add.workgroup_x(std::vector<uint32_t>{128}) == 128);
  CHECK(add.workgroup_x({}) == 1);  // unspecialised: glslang's default width

  CHECK(vk::shader_facts(shaders::find("subgroup_size")).uses_subgroups);
  CHECK_FALSE(vk::shader_facts({}).uses_subgroups);  // no words: nothing found, nothing thrown
}
