// record_softmax_stats: each row's max and Σ e^(x − max), the parts generation turns a row's
// top-k logits into log-probabilities with.
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

std::vector<float> run_stats(const std::vector<float>& x, int rows, int n) {
  GuardedBuffer xb(x), stats(size_t(rows) * 2);
  vk::Recorder rec(test::gpu());
  kernels::record_softmax_stats(rec, xb.ref(), rows, n, stats.ref());
  rec.submit();
  CHECK(xb.guards_intact());
  CHECK(stats.guards_intact());
  return stats.read();
}

}  // namespace

TEST_CASE("softmax_stats gives each row's max and sum of exponentials, rows 1 to a 51289-word vocabulary") {
  struct Shape { int rows, n; };
  for (Shape s : {Shape{1, 1}, Shape{3, 7}, Shape{2, 63}, Shape{5, 577}, Shape{1, 30524}, Shape{4, 51289}}) {
    CAPTURE(s.rows);
    CAPTURE(s.n);
    auto x = test::random_values(size_t(s.rows) * s.n, 17 + s.n, -25.0f, 25.0f);
    if (s.n > 1) x[1] = -std::numeric_limits<float>::infinity();  // a banned logit adds nothing
    const auto got = run_stats(x, s.rows, s.n);
    for (int r = 0; r < s.rows; ++r) {
      const float* row = &x[size_t(r) * s.n];
      float max = -INFINITY;
      for (int i = 0; i < s.n; ++i) max = std::max(max, row[i]);
      double sum = 0;
      for (int i = 0; i < s.n; ++i) sum += std::exp(double(row[i]) - max);
      CHECK(got[2 * r] == max);
      CHECK(std::abs(got[2 * r + 1] - sum) <= 2e-6 * sum);
    }
  }
}
