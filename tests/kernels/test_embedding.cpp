// Embedding rows; the check and its reference: src/checks/ops_checks.h.
#include <doctest/doctest.h>

#include "checks/ops_checks.h"
#include "common/gpu/guarded.h"
#include "kernels/ops.h"

using namespace vkcap;

TEST_CASE("embedding gathers table rows and adds position rows; out-of-range ids give zero rows") {
  test::expect_pass(checks::check_embedding(test::check_run()));
}

TEST_CASE("embedding checks the table size") {
  vk::Buffer t = test::gpu().create_buffer(10 * 4), ids = test::gpu().create_buffer(4), y = test::gpu().create_buffer(16);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_embedding(rec, t, 5, ids, {}, 0, {}, y, 1, 4),
                    doctest::Contains("embedding: table needs 20 elements"));
}
