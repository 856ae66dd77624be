// Layer norm on both variants; cases and the double reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include <vector>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;

TEST_CASE("layer_norm matches torch over row lengths 1..4096 with strided input") {
  for (vk::KernelVariant variant : test::kernel_variants())
    for (const checks::LayerNormShape& s : checks::layer_norm_shapes())
      test::expect_pass(checks::check_layer_norm(test::check_run(), variant, s));
}

TEST_CASE("layer_norm as a host step (CPU devices) matches the same reference") {
  for (const checks::LayerNormShape& s : checks::layer_norm_shapes())
    test::expect_pass(checks::check_layer_norm(test::check_run(), vk::KernelVariant::Cpu, s, true));
}

TEST_CASE("layer_norm statistics are robust to a large mean and tiny or huge magnitudes") {
  for (vk::KernelVariant variant : test::kernel_variants())
    test::expect_pass(checks::check_layer_norm_magnitudes(test::check_run(), variant));
}

TEST_CASE("layer_norm adds the residual first (post-LN) and may write in place") {
  for (vk::KernelVariant variant : test::kernel_variants())
    for (bool into_residual : {false, true})
      test::expect_pass(checks::check_layer_norm_residual(test::check_run(), variant, into_residual));
}

TEST_CASE("layer_norm rejects bad shapes with a clear message") {
  vk::Buffer x = test::gpu().create_buffer(64 * 4), g = test::gpu().create_buffer(8 * 4),
             b = test::gpu().create_buffer(8 * 4), y = test::gpu().create_buffer(64 * 4);
  vk::Recorder rec(test::gpu());
  kernels::LayerNormArgs a;
  a.x = x, a.x_stride = 8, a.gamma = g, a.beta = b, a.y = y, a.y_stride = 8, a.rows = 8, a.d = 16;
  CHECK_THROWS_WITH(kernels::record_layer_norm(rec, a), doctest::Contains("layer_norm: x_stride = 8 is out of range"));
  a.d = 8, a.x_stride = 8, a.rows = 9;
  CHECK_THROWS_WITH(kernels::record_layer_norm(rec, a), doctest::Contains("layer_norm: x needs 72 elements"));
}
