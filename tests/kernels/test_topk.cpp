#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

struct TopK {
  std::vector<float> values;
  std::vector<int32_t> indices;
};

TopK run_topk(const std::vector<float>& x, int rows, int n, int k) {
  GuardedBuffer xb(x), vb(size_t(rows) * k), ib(size_t(rows) * k);
  vk::Recorder rec(test::gpu());
  kernels::record_topk(rec, xb.ref(), rows, n, k, vb.ref(), ib.ref());
  rec.submit();
  CHECK(vb.guards_intact());
  CHECK(ib.guards_intact());
  TopK t{vb.read(), std::vector<int32_t>(size_t(rows) * k)};
  auto f = ib.read();
  std::memcpy(t.indices.data(), f.data(), f.size() * 4);
  return t;
}

// Stable sort by value descending (ties: lower index), NaN last.
std::vector<int32_t> order_ref(const float* row, int n) {
  std::vector<int32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
    if (std::isnan(row[a]) != std::isnan(row[b])) return std::isnan(row[b]);
    return row[a] > row[b];
  });
  return idx;
}

void check_rows(const std::vector<float>& x, int rows, int n, int k) {
  TopK t = run_topk(x, rows, n, k);
  for (int r = 0; r < rows; ++r) {
    auto ref = order_ref(&x[size_t(r) * n], n);
    for (int j = 0; j < k; ++j) {
      INFO("row " << r << " rank " << j << " n " << n << " k " << k);
      CHECK(t.indices[size_t(r) * k + j] == ref[j]);
      const float v = x[size_t(r) * n + ref[j]], got = t.values[size_t(r) * k + j];
      CHECK((got == v || (std::isnan(got) && std::isnan(v))));
    }
  }
}

}  // namespace

TEST_CASE("topk returns the k largest sorted descending for k up to 64 and rows up to 50257") {
  struct Shape { int rows, n, k; };
  for (Shape s : {Shape{1, 1, 1}, Shape{3, 5, 5}, Shape{4, 67, 3}, Shape{2, 1031, 64}, Shape{3, 50257, 6},
                  Shape{1, 50257, 64}}) {
    auto x = test::random_values(size_t(s.rows) * s.n, 91 + s.n, -1e4f, 1e4f);
    check_rows(x, s.rows, s.n, s.k);
  }
}

TEST_CASE("topk breaks ties by lower index and ranks NaN last") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int n = 200, k = 64;
  std::vector<float> x(4 * size_t(n), 0.25f);                       // row 0: all equal -> 0..63
  for (int i = 0; i < n; ++i) x[n + i] = float(i % 5);                // row 1: many ties
  for (int i = 0; i < n; ++i) x[2 * n + i] = i < 150 ? nan : 1e-4f * float(n - i);  // row 2: only 50 numbers
  for (int i = 0; i < n; ++i) x[3 * n + i] = float(i);               // row 3: ascending (worst case for insertion)
  check_rows(x, 4, n, k);
  TopK t = run_topk(x, 4, n, k);
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
