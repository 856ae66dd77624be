// A table larger than one storage-buffer binding (GPT-2's 50257×768 fp32 wte is 154 MB; lavapipe
// binds at most 128 MiB) is gathered window by window, and every row still comes from the right
// place exactly once.
#include <doctest/doctest.h>

#include <vector>

#include "common/gpu/guarded.h"
#include "kernels/ops.h"

using namespace vkcap;

TEST_CASE("embedding: a table over maxStorageBufferRange is read through windows") {
  const uint64_t limit = test::gpu().info().max_storage_buffer_range;
  if (limit > (256ull << 20)) return;  // devices with larger bindings never split
  const int d = 64;
  const int vocab = int(limit / (d * 4)) + 1000;  // just past one window
  std::vector<float> table(size_t(vocab) * d);
  for (int r = 0; r < vocab; ++r)
    for (int c = 0; c < d; ++c) table[size_t(r) * d + c] = float(r % 9973) + c * 1e-3f;
  vk::Buffer table_buffer = test::gpu().upload_vector<float>(table);
  std::vector<float> positions(size_t(4) * d, 0.5f);
  vk::Buffer position_buffer = test::gpu().upload_vector<float>(positions);
  const std::vector<int32_t> ids = {0, vocab - 1, int(limit / (d * 4)) - 1, int(limit / (d * 4)), 17, -5, vocab};
  const std::vector<int32_t> pos = {0, 1, 2, 3, 0, 0, 0};
  vk::Buffer ids_buffer = test::gpu().upload_vector<int32_t>(ids), pos_buffer = test::gpu().upload_vector<int32_t>(pos);
  test::GuardedBuffer y(ids.size() * d);
  vk::Recorder rec(test::gpu());
  kernels::record_embedding(rec, table_buffer, vocab, ids_buffer, position_buffer, 4, pos_buffer, y.ref(),
                            int(ids.size()), d);
  rec.submit();
  std::vector<float> got = y.read();
  for (size_t r = 0; r < ids.size(); ++r) {
    const bool valid = ids[r] >= 0 && ids[r] < vocab;
    for (int c = 0; c < d; ++c) {
      const float want = valid ? table[size_t(ids[r]) * d + c] + 0.5f : 0.0f;
      REQUIRE_MESSAGE(got[r * d + c] == want, "row " << r << " (id " << ids[r] << ") column " << c);
    }
  }
  CHECK(y.guards_intact());
}
