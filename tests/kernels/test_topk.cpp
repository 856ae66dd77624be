// Top-k; cases and the reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

// Runs top-k and asserts every index and value against the reference order.
checks::TopK check_rows(const std::vector<float>& x, int rows, int n, int k) {
  checks::CheckResult r;
  r.family = "topk";
  checks::TopK t = checks::run_topk(test::check_run(), r, x, rows, n, k);
  test::expect_pass(r);
  return t;
}

}  // namespace

TEST_CASE("topk returns the k largest sorted descending for k up to 64 and rows up to 50257") {
  for (const checks::TopKShape& s : checks::topk_shapes()) test::expect_pass(checks::check_topk(test::check_run(), s));
}

TEST_CASE("topk breaks ties by lower index and ranks NaN last") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int n = 200, k = 64;
  std::vector<float> x(4 * size_t(n), 0.25f);                       // row 0: all equal -> 0..63
  for (int i = 0; i < n; ++i) x[n + i] = float(i % 5);                // row 1: many ties
  for (int i = 0; i < n; ++i) x[2 * n + i] = i < 150 ? nan : 1e-4f * float(n - i);  // row 2: only 50 numbers
  for (int i = 0; i < n; ++i) x[3 * n + i] = float(i);               // row 3: ascending (worst case for insertion)
  const checks::TopK t = check_rows(x, 4, n, k);
  for (int j = 0; j < k; ++j) CHECK(t.indices[j] == j);
  CHECK(t.indices[2 * k + 49] == 199);
  CHECK(std::isnan(t.values[2 * k + 50]));
  CHECK(t.indices[2 * k + 50] == 0);
}

TEST_CASE("topk rejects k beyond 64 or n") {
  GuardedBuffer x(100), v(100), i(100);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_topk(rec, x.ref(), 1, 100, 65, v.ref(), i.ref()), doctest::Contains("topk: k = 65"));
  CHECK_THROWS_WITH(kernels::record_topk(rec, x.ref(), 1, 3, 4, v.ref(), i.ref()), doctest::Contains("topk: k = 4"));
}
