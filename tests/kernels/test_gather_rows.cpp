// gather_rows: KV-cache rows reordered by beam parent index.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/attention.h"
#include "util/error.h"

using vkcap::test::GuardedBuffer;
using vkcap::test::gpu;

TEST_CASE("gather_rows: dst row r is src row parent[r], gaps and guards untouched") {
  const int rows = 3, elems = 37, stride = 40;
  const std::vector<float> src = vkcap::test::random_values(size_t(rows) * stride, 3);
  GuardedBuffer sb(src), db(size_t(rows) * stride, 5.0f);
  const std::vector<int32_t> parent{2, 0, 2};
  std::vector<float> parent_bits(parent.size());
  std::memcpy(parent_bits.data(), parent.data(), parent.size() * 4);
  GuardedBuffer pb(parent_bits);
  vkcap::vk::Recorder rec(gpu());
  vkcap::kernels::record_gather_rows(rec, sb.ref(), db.ref(), pb.ref(), rows, elems, stride);
  rec.submit();
  const std::vector<float> out = db.read();
  for (int r = 0; r < rows; ++r)
    for (int e = 0; e < stride; ++e) {
      const float expected = e < elems ? src[size_t(parent[r]) * stride + e] : 5.0f;
      CHECK(out[size_t(r) * stride + e] == expected);
    }
  CHECK(db.guards_intact());
  CHECK_THROWS_AS(vkcap::kernels::record_gather_rows(rec, sb.ref(), sb.ref(), pb.ref(), rows, elems, stride),
                  vkcap::Error);
  CHECK_THROWS_AS(vkcap::kernels::record_gather_rows(rec, sb.ref(), db.ref(), pb.ref(), rows, elems, 30), vkcap::Error);
}
