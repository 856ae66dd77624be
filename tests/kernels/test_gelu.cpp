// GELU (erf and tanh forms); sweeps, budgets and double references: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

TEST_CASE("gelu erf form matches torch's exact GELU to ~1e-7 relative over [-10, 10] and extremes") {
  const checks::CheckResult r = checks::check_gelu_sweep(test::check_run(), kernels::Gelu::Erf);
  MESSAGE("gelu erf: max rel err " << r.max_rel << ", max abs err in [-10, 10] " << r.max_abs);
  test::expect_pass(r);
}

TEST_CASE("gelu tanh form (gelu_new) matches the double formula without overflow at large |x|") {
  const checks::CheckResult r = checks::check_gelu_sweep(test::check_run(), kernels::Gelu::Tanh);
  MESSAGE("gelu tanh: max rel err " << r.max_rel << ", max abs err in [-10, 10] " << r.max_abs);
  test::expect_pass(r);
}

TEST_CASE("gelu handles one element, odd counts, offsets and in-place") {
  for (size_t n : {size_t(1), size_t(63), size_t(65), size_t(1009)})
    test::expect_pass(checks::check_gelu_in_place(test::check_run(), n));
}

TEST_CASE("gelu rejects a count beyond the buffer") {
  GuardedBuffer a(10), b(10);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_gelu(rec, a.ref(), b.ref(), 1000, kernels::Gelu::Erf),
                    doctest::Contains("kernels/ops gelu: x needs 1000 elements"));
}
