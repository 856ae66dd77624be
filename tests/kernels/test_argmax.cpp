// Argmax; cases and the reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"

using namespace vkcap;

namespace {

std::vector<int32_t> run_argmax(const std::vector<float>& x, int rows, int n) {
  checks::CheckResult r;
  r.family = "argmax";
  const std::vector<int32_t> got = checks::run_argmax(test::check_run(), r, x, rows, n);
  test::expect_pass(r);
  return got;
}
int32_t argmax_ref(const float* row, int n) { return checks::argmax_reference(row, n); }

}  // namespace

TEST_CASE("argmax finds the first maximum for rows from 1 to 50257") {
  for (const checks::RowsShape& s : checks::argmax_shapes()) test::expect_pass(checks::check_argmax(test::check_run(), s));
}

TEST_CASE("argmax: ties give the lowest index, NaN is skipped unless the row is all NaN") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const int n = 130;
  std::vector<float> x(5 * n, 1.0f);  // row 0: all equal
  for (int i = 0; i < n; ++i) x[n + i] = (i % 3 == 0) ? nan : 1e-4f * float(i % 7);  // row 1: NaNs and ties
  for (int i = 0; i < n; ++i) x[2 * n + i] = nan;                                   // row 2: all NaN
  for (int i = 0; i < n; ++i) x[3 * n + i] = -inf;                                  // row 3: all -inf
  x[3 * n + 77] = nan;
  for (int i = 0; i < n; ++i) x[4 * n + i] = (i == 100 || i == 70) ? 5.0f : -1.0f;  // row 4: two maxima
  auto got = run_argmax(x, 5, n);
  CHECK(got[0] == 0);
  CHECK(got[1] == argmax_ref(&x[n], n));
  CHECK(got[1] == 13);  // 6e-4 first reached at i = 13 (i = 6 is a NaN)
  CHECK(got[2] == 0);
  CHECK(got[3] == 0);
  CHECK(got[4] == 70);
}
