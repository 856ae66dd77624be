// Top-k; cases and the reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"

using namespace vkcap;
using test::GuardedBuffer;


TEST_CASE("topk returns the k largest sorted descending for k up to 64 and rows up to 50257") {
  for (const checks::TopKShape& s : checks::topk_shapes()) test::expect_pass(checks::check_topk(test::check_run(), s));
}

TEST_CASE("topk breaks ties by lower index and ranks NaN last") {
  test::expect_pass(checks::check_topk_ties(test::check_run()));
}

TEST_CASE("topk rejects k beyond 64 or n") {
  GuardedBuffer x(100), v(100), i(100);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_topk(rec, x.ref(), 1, 100, 65, v.ref(), i.ref()), doctest::Contains("topk: k = 65"));
  CHECK_THROWS_WITH(kernels::record_topk(rec, x.ref(), 1, 3, 4, v.ref(), i.ref()), doctest::Contains("topk: k = 4"));
}
