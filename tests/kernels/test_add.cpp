#include <doctest/doctest.h>

#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

TEST_CASE("add sums element-wise for odd counts, exactly like float addition") {
  for (size_t n : {size_t(1), size_t(63), size_t(64), size_t(65), size_t(4099), size_t(443136)}) {
    auto a = test::random_values(n, 51, -1e4f, 1e4f), b = test::random_values(n, 52, -1e-4f, 1e-4f);
    std::vector<float> ref(n);
    for (size_t i = 0; i < n; ++i) ref[i] = a[i] + b[i];
    GuardedBuffer ab(a), bb(b), yb(n);
    vk::Recorder rec(test::gpu());
    kernels::record_add(rec, ab.ref(), bb.ref(), yb.ref(), int64_t(n));
    rec.submit();
    CHECK(yb.guards_intact());
    test::expect_close(yb.read(), ref, {0, 0}, "add n=" + std::to_string(n));
  }
}

TEST_CASE("add may write into either input") {
  const size_t n = 1000;
  auto a = test::random_values(n, 53), b = test::random_values(n, 54);
  std::vector<float> ref(n);
  for (size_t i = 0; i < n; ++i) ref[i] = a[i] + b[i];
  GuardedBuffer ab(a), bb(b);
  vk::Recorder rec(test::gpu());
  kernels::record_add(rec, ab.ref(), bb.ref(), ab.ref(), int64_t(n));  // a += b
  kernels::record_add(rec, ab.ref(), bb.ref(), bb.ref(), int64_t(n));  // b += (a + b)
  rec.submit();
  test::expect_close(ab.read(), ref, {0, 0}, "y = a");
  for (size_t i = 0; i < n; ++i) ref[i] = ref[i] + b[i];
  test::expect_close(bb.read(), ref, {0, 0}, "y = b");
  CHECK(ab.guards_intact());
  CHECK(bb.guards_intact());
}
