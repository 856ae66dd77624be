// The softmax kernel's statistics mode (kernels::record_softmax_stats): each row's max and
// Σ e^(x − max), which generation turns a row's top-k logits into log-probabilities with. Cases and
// the double reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"

using namespace vkcap;

TEST_CASE("softmax_stats gives each row's max and sum of exponentials, rows 1 to a 51289-word vocabulary") {
  for (const checks::RowsShape& s : checks::softmax_stats_shapes())
    test::expect_pass(checks::check_softmax_stats(test::check_run(), s));
}
