// Element-wise add; cases: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"

using namespace vkcap;

TEST_CASE("add sums element-wise for odd counts, exactly like float addition") {
  for (size_t n : {size_t(1), size_t(63), size_t(64), size_t(65), size_t(4099), size_t(443136)})
    test::expect_pass(checks::check_add(test::check_run(), n));
}

TEST_CASE("add may write into either input") { test::expect_pass(checks::check_add_in_place(test::check_run())); }
