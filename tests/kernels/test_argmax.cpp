// Argmax; cases and the reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"

using namespace vkcap;


TEST_CASE("argmax finds the first maximum for rows from 1 to 50257") {
  for (const checks::RowsShape& s : checks::argmax_shapes()) test::expect_pass(checks::check_argmax(test::check_run(), s));
}

TEST_CASE("argmax: ties give the lowest index, NaN is skipped unless the row is all NaN") {
  test::expect_pass(checks::check_argmax_ties(test::check_run()));
}
