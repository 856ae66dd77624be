// Softmax and log-softmax; cases and the double reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;


TEST_CASE("softmax and log_softmax match torch for rows from 1 to a 50257-word vocabulary") {
  for (const checks::RowsShape& s : checks::softmax_shapes())
    for (bool log : {false, true}) test::expect_pass(checks::check_softmax(test::check_run(), s, log));
}

TEST_CASE("softmax handles magnitudes 1e4 and 1e-4 and runs in place") {
  for (bool log : {false, true}) test::expect_pass(checks::check_softmax_magnitudes(test::check_run(), log));
}

TEST_CASE("softmax of a masked logit is 0 (log: -inf); a row of only -inf is NaN as in torch") {
  for (bool log : {false, true}) test::expect_pass(checks::check_softmax_masked(test::check_run(), log));
}
