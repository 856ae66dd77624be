#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

std::vector<int32_t> run_argmax(const std::vector<float>& x, int rows, int n) {
  GuardedBuffer xb(x), out(rows);
  vk::Recorder rec(test::gpu());
  kernels::record_argmax(rec, xb.ref(), rows, n, out.ref());
  rec.submit();
  CHECK(out.guards_intact());
  auto f = out.read();
  std::vector<int32_t> idx(rows);
  std::memcpy(idx.data(), f.data(), rows * 4);
  return idx;
}

// First maximum, NaNs skipped (index 0 if the row is all NaN).
int32_t argmax_ref(const float* row, int n) {
  int32_t best = -1;
  for (int i = 0; i < n; ++i)
    if (!std::isnan(row[i]) && (best < 0 || row[i] > row[best])) best = i;
  return best < 0 ? 0 : best;
}

}  // namespace

TEST_CASE("argmax finds the first maximum for rows from 1 to 50257") {
  struct Shape { int rows, n; };
  for (Shape s : {Shape{1, 1}, Shape{3, 2}, Shape{7, 63}, Shape{5, 65}, Shape{2, 1009}, Shape{3, 50257}}) {
    auto x = test::random_values(size_t(s.rows) * s.n, 81 + s.n, -1e4f, 1e4f);
    if (s.n > 10) x[size_t(s.n) - 1] = 2e4f;  // the maximum in the last column of row 0
    auto got = run_argmax(x, s.rows, s.n);
    for (int r = 0; r < s.rows; ++r) CHECK(got[r] == argmax_ref(&x[size_t(r) * s.n], s.n));
  }
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
