#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<double> softmax_ref(const std::vector<float>& x, int rows, int n, bool log) {
  std::vector<double> y(x.size());
  for (int r = 0; r < rows; ++r) {
    const float* row = &x[size_t(r) * n];
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < n; ++i) m = std::max(m, double(row[i]));
    for (int i = 0; i < n; ++i) sum += std::exp(double(row[i]) - m);
    for (int i = 0; i < n; ++i)
      y[size_t(r) * n + i] = log ? (double(row[i]) - m) - std::log(sum) : std::exp(double(row[i]) - m) / sum;
  }
  return y;
}

std::vector<float> run(const std::vector<float>& x, int rows, int n, bool log, bool in_place) {
  GuardedBuffer xb(x), yb(x.size());
  vk::Recorder rec(test::gpu());
  kernels::record_softmax(rec, xb.ref(), in_place ? xb.ref() : yb.ref(), rows, n, log);
  rec.submit();
  CHECK(xb.guards_intact());
  CHECK(yb.guards_intact());
  return in_place ? xb.read() : yb.read();
}

}  // namespace

TEST_CASE("softmax and log_softmax match torch for rows from 1 to a 50257-word vocabulary") {
  struct Shape { int rows, n; };
  for (Shape s : {Shape{1, 1}, Shape{3, 7}, Shape{5, 64}, Shape{2, 577}, Shape{4, 1031}, Shape{2, 50257}}) {
    auto x = test::random_values(size_t(s.rows) * s.n, 31 + s.n, -20.0f, 20.0f);
    for (bool log : {false, true}) {
      auto ref = softmax_ref(x, s.rows, s.n, log);
      // softmax: relative error of e^ (~1e-7) plus the sum; log-softmax: absolute in the log.
      test::Tolerance tol = log ? test::Tolerance{2e-5, 1e-6} : test::Tolerance{1e-12, 1e-5};
      test::expect_close(run(x, s.rows, s.n, log, false), ref, tol,
                         std::string(log ? "log_softmax" : "softmax") + " n=" + std::to_string(s.n));
    }
  }
}

TEST_CASE("softmax handles magnitudes 1e4 and 1e-4 and runs in place") {
  const int rows = 2, n = 300;
  auto x = test::random_values(size_t(rows) * n, 41, -1e4f, 1e4f);
  auto small = test::random_values(n, 42, -1e-4f, 1e-4f);
  std::copy(small.begin(), small.end(), x.begin() + n);
  test::expect_close(run(x, rows, n, false, true), softmax_ref(x, rows, n, false), {1e-12, 1e-5}, "softmax ±1e4/±1e-4");
  test::expect_close(run(x, rows, n, true, true), softmax_ref(x, rows, n, true), {1e-5, 1e-6}, "log_softmax ±1e4/±1e-4");
}

TEST_CASE("softmax of a masked logit is 0 (log: -inf); a row of only -inf is NaN as in torch") {
  const int n = 5;
  std::vector<float> x = {1.0f, -kInf, 2.0f, 0.5f, -kInf,  -kInf, -kInf, -kInf, -kInf, -kInf};
  auto y = run(x, 2, n, false, false);
  const std::vector<float> first(x.begin(), x.begin() + n);
  auto ref = softmax_ref(first, 1, n, false);
  test::expect_close(std::span(y).subspan(0, n), std::span(ref), {1e-7, 1e-6}, "masked softmax");
  CHECK(y[1] == 0.0f);
  for (int i = n; i < 2 * n; ++i) CHECK(std::isnan(y[i]));
  auto ly = run(x, 2, n, true, false);
  CHECK(ly[1] == -kInf);
  CHECK(ly[4] == -kInf);
  CHECK(std::abs(ly[2] - softmax_ref(first, 1, n, true)[2]) < 1e-6);
  for (int i = n; i < 2 * n; ++i) CHECK(std::isnan(ly[i]));
}
