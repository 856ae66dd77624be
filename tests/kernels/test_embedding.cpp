#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

namespace {
// int32 ids stored bit-for-bit in a guarded float buffer.
std::vector<float> as_floats(const std::vector<int32_t>& ids) {
  std::vector<float> f(ids.size());
  std::memcpy(f.data(), ids.data(), ids.size() * 4);
  return f;
}
}  // namespace

TEST_CASE("embedding gathers table rows and adds position rows; out-of-range ids give zero rows") {
  const int vocab = 37, max_pos = 11, d = 67;
  auto table = test::random_values(size_t(vocab) * d, 61), positions = test::random_values(size_t(max_pos) * d, 62);
  std::vector<int32_t> ids = {0, 36, 5, 5, -1, 37, 12, 1000000};
  std::vector<int32_t> pos = {0, 1, 2, 10, 3, 4, 11, -5};
  const int rows = int(ids.size());
  GuardedBuffer tb(table), pb(positions), ib(as_floats(ids)), qb(as_floats(pos));
  GuardedBuffer with_pos(size_t(rows) * d, 7.0f), without_pos(size_t(rows) * d, 7.0f);
  vk::Recorder rec(test::gpu());
  kernels::record_embedding(rec, tb.ref(), vocab, ib.ref(), pb.ref(), max_pos, qb.ref(), with_pos.ref(), rows, d);
  kernels::record_embedding(rec, tb.ref(), vocab, ib.ref(), {}, 0, {}, without_pos.ref(), rows, d);
  rec.submit();
  std::vector<float> ref_pos(size_t(rows) * d), ref_tok(size_t(rows) * d);
  for (int r = 0; r < rows; ++r) {
    const bool id_ok = ids[r] >= 0 && ids[r] < vocab, pos_ok = pos[r] >= 0 && pos[r] < max_pos;
    for (int i = 0; i < d; ++i) {
      ref_tok[size_t(r) * d + i] = id_ok ? table[size_t(ids[r]) * d + i] : 0.0f;
      ref_pos[size_t(r) * d + i] = id_ok && pos_ok ? table[size_t(ids[r]) * d + i] + positions[size_t(pos[r]) * d + i] : 0.0f;
    }
  }
  test::expect_close(with_pos.read(), ref_pos, {0, 0}, "token + position");
  test::expect_close(without_pos.read(), ref_tok, {0, 0}, "token only");
  CHECK(with_pos.guards_intact());
  CHECK(without_pos.guards_intact());
}

TEST_CASE("embedding checks the table size") {
  vk::Buffer t = test::gpu().create_buffer(10 * 4), ids = test::gpu().create_buffer(4), y = test::gpu().create_buffer(16);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_embedding(rec, t, 5, ids, {}, 0, {}, y, 1, 4),
                    doctest::Contains("embedding: table needs 20 elements"));
}
