// Kernels at a required subgroup size (vk::ContextOptions::subgroup_size): the pipelines really
// ask for it (gl_SubgroupSize equals it, subgroups are full), the pipeline map keys on it, and
// the subgroup-dependent checks pass at every size the device allows — on lavapipe its one
// size, through the required-size path all the same. Also the selftest's size plan and advice.
#include <doctest/doctest.h>

#include <memory>

#include "checks/attention_checks.h"
#include "checks/linear_checks.h"
#include "checks/ops_checks.h"
#include "checks/subgroup_checks.h"
#include "checks/subgroup_sizes.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "vk/subgroup_size_control.h"

using namespace vkcap;

namespace {

// gpu() first: the shared context fixes llvmpipe's vector width for the process.
std::vector<uint32_t> device_sizes() { return vk::requestable_subgroup_sizes(test::gpu().info()); }

// A context of the test's own whose subgroup-using pipelines require `size`.
std::unique_ptr<vk::Context> context_at(uint32_t size) {
  vk::ContextOptions options = test::test_context_options();
  options.subgroup_size = size;
  return std::make_unique<vk::Context>(options);
}

}  // namespace

TEST_CASE("subgroup size: the default pipelines get the size the device reports") {
  const checks::CheckResult r = checks::check_subgroup_size(test::check_run());
  test::expect_pass(r);
  CHECK(r.shape.find("default size " + std::to_string(test::gpu().info().subgroup_size)) != std::string::npos);
}

TEST_CASE("subgroup size: a pipeline created with a required size runs at it") {
  const std::vector<uint32_t> sizes = device_sizes();
  REQUIRE_MESSAGE(!sizes.empty(), "the device offers no subgroup size control (lavapipe does)");
  for (uint32_t size : sizes) {
    CAPTURE(size);
    const std::unique_ptr<vk::Context> sized = context_at(size);
    vk::Context& ctx = *sized;
    CHECK(ctx.info().subgroup_size == size);  // what the kernels specialise and pack for
    const checks::CheckResult r = checks::check_subgroup_size({ctx, ""});
    test::expect_pass(r);
    CHECK(r.shape.find("required size " + std::to_string(size)) != std::string::npos);

    // Only shaders with subgroup operations require the size; the map keys on it.
    const vk::Kernel& probe = ctx.kernel({"subgroup_size", 1, 0, {64}});
    CHECK(probe.spec().required_subgroup_size == size);
    CHECK(probe.spec().full_subgroups == ctx.info().compute_full_subgroups);
    CHECK(probe.spec().key().find("/sg" + std::to_string(size)) != std::string::npos);
    const vk::Kernel& add = ctx.kernel({"add", 3, 16, {64}});
    CHECK(add.spec().required_subgroup_size == 0);
    CHECK(&ctx.kernel({"subgroup_size", 1, 0, {64}}) == &probe);
  }
  // The default context never asks.
  CHECK(test::gpu().kernel({"subgroup_size", 1, 0, {64}}).spec().required_subgroup_size == 0);
}

TEST_CASE("subgroup size: a size the device does not allow is refused, naming the ones it does") {
  const std::vector<uint32_t> sizes = device_sizes();
  REQUIRE(!sizes.empty());
  vk::ContextOptions options;
  options.subgroup_size = sizes.back() * 2;
  const std::string allowed = "allows " + std::to_string(sizes.front());
  CHECK_THROWS_WITH(vk::Context{options}, doctest::Contains(allowed.c_str()));
}

TEST_CASE("subgroup size: the subgroup-dependent kernels pass at every required size") {
  for (uint32_t size : device_sizes()) {
    CAPTURE(size);
    const std::unique_ptr<vk::Context> sized = context_at(size);
    vk::Context& ctx = *sized;
    const checks::CheckRun run{ctx, ""};
    const uint64_t before = ctx.subgroup_kernel_requests();
    for (const checks::LinearPath& path : checks::linear_paths(ctx.info())) {
      if (path.host) continue;
      CAPTURE(path.name());
      test::expect_pass(checks::run_linear_cases(run, checks::linear_quick_cases(path, kernels::WeightType::F32)));
    }
    if (ctx.info().supports_cpu_variant()) {
      test::expect_pass(checks::check_layer_norm_magnitudes(run, vk::KernelVariant::Cpu));
      for (const checks::NamedAttentionProblem& p : checks::attention_quick_problems())
        test::expect_pass(checks::check_attention(run, p.problem, vk::KernelVariant::Cpu, p.what, p.extra_tolerance));
    }
    CHECK(ctx.subgroup_kernel_requests() > before);  // they did ask for subgroup kernels
    // A kernel without subgroup operations does not count.
    const uint64_t after = ctx.subgroup_kernel_requests();
    test::expect_pass(checks::check_add(run, 65));
    CHECK(ctx.subgroup_kernel_requests() == after);
  }
}

TEST_CASE("subgroup size plan: what the selftest checks and reports") {
  vk::DeviceInfo info;
  info.subgroup_size = 8;
  CHECK(checks::subgroup_size_plan(info).required.empty());
  CHECK(checks::subgroup_size_plan(info).describe() == "8 (the device's only size; it cannot be asked for one)");
  info.subgroup_size_control = true;
  info.min_subgroup_size = info.max_subgroup_size = 8;
  info.required_subgroup_size_stages = VK_SHADER_STAGE_COMPUTE_BIT;
  CHECK(checks::subgroup_size_plan(info).describe() == "8 (the device's default; checked as a required size: 8)");
  info.subgroup_size = 32;
  info.max_subgroup_size = 32;
  const checks::SubgroupSizePlan plan = checks::subgroup_size_plan(info);
  CHECK(plan.required == std::vector<uint32_t>{8, 16, 32});
  CHECK(plan.describe() == "32 (the device's default; checked at each required size: 8, 16, 32)");
}

TEST_CASE("subgroup size advice: a failure at some sizes names a size that passed") {
  const std::string other = "VKCAP_KERNELS=gpu";
  // Failed at 16 only: vkcap's default, 32, passed.
  CHECK(checks::subgroup_size_advice({8, 32}, 32, other) ==
        "VKCAP_SUBGROUP_SIZE unset (the default size 32 passed) or VKCAP_KERNELS=gpu");
  // Failed at the default: the largest size that passed.
  CHECK(checks::subgroup_size_advice({8, 16}, 32, other) == "VKCAP_SUBGROUP_SIZE=16 or VKCAP_KERNELS=gpu");
  CHECK(checks::subgroup_size_advice({8}, 32, "") == "VKCAP_SUBGROUP_SIZE=8");
  // Failed everywhere: only the variant's own advice.
  CHECK(checks::subgroup_size_advice({}, 32, other) == other);
  CHECK(checks::subgroup_size_advice({}, 32, "").empty());
}
