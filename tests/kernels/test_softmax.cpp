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
using test::GuardedBuffer;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<double> softmax_ref(const std::vector<float>& x, int rows, int n, bool log) {
  return checks::softmax_reference(x, rows, n, log);
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
  for (const checks::RowsShape& s : checks::softmax_shapes())
    for (bool log : {false, true}) test::expect_pass(checks::check_softmax(test::check_run(), s, log));
}

TEST_CASE("softmax handles magnitudes 1e4 and 1e-4 and runs in place") {
  for (bool log : {false, true}) test::expect_pass(checks::check_softmax_magnitudes(test::check_run(), log));
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
