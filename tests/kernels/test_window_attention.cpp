// DaViT window attention against a plain fp64 reference of Microsoft's WindowAttention (up to
// its output projection): zero padding right/bottom after the norm, so padded rows carry
// q = k = v = the qkv bias and take part as keys and values; no mask; crop. Both kernel
// variants, grids that pad on one side, both, none, and a single token; chunked windows.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "checks/davit_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/window_attention.h"

using namespace vkcap;
using kernels::WindowGrid;
using test::GuardedBuffer;

TEST_CASE("window attention matches the reference, padded keys included, on both kernel variants") {
  for (vk::KernelVariant variant : test::kernel_variants())
    for (const checks::WindowAttentionCase& tc : checks::window_attention_cases())
      test::expect_pass(checks::check_window_attention(test::check_run(), variant, tc));
}

TEST_CASE("window attention on the host (qkv weight on the host, a CPU device) matches the same reference") {
  for (const checks::WindowAttentionCase& tc : checks::window_attention_cases())
    test::expect_pass(checks::check_window_attention(test::check_run(), vk::KernelVariant::Cpu, tc, true));
}

TEST_CASE("window partition and merge: zeros for padding rows, merge restores exactly the in-image tokens") {
  const WindowGrid g{3, 5, 2};  // 2×3 windows of 2×2 over a 4×6 padded grid
  const int c = 2;
  std::vector<float> tokens(size_t(3) * 5 * c);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = float(i + 1);
  GuardedBuffer src(tokens), windows(size_t(g.windows()) * g.window_area() * c), back(tokens.size(), -1.0f);
  vk::Recorder rec(test::gpu());
  kernels::record_window_partition(rec, src.ref(), windows.ref(), g, c);
  kernels::record_window_merge(rec, windows.ref(), back.ref(), g, c);
  rec.submit();
  const std::vector<float> w = windows.read();
  // Window 2 (wy 0, wx 2) covers columns 4..5: (0,4) (0,5=pad) (1,4) (1,5=pad).
  const size_t base = size_t(2) * 4 * c;
  CHECK(w[base + 0] == tokens[(0 * 5 + 4) * c]);
  CHECK(w[base + 2] == 0.0f);
  CHECK(w[base + 4] == tokens[(1 * 5 + 4) * c]);
  CHECK(w[base + 7] == 0.0f);
  // Window 5 (wy 1, wx 2): only (2, 4) is inside.
  const size_t last = size_t(5) * 4 * c;
  CHECK(w[last + 1] == tokens[(2 * 5 + 4) * c + 1]);
  for (int i = 2; i < 8; ++i) CHECK(w[last + i] == 0.0f);
  CHECK(back.read() == tokens);
  CHECK(windows.guards_intact());
  CHECK(back.guards_intact());

  vk::Recorder bad(test::gpu());
  CHECK_THROWS_WITH(kernels::record_window_partition(bad, src.ref(), windows.ref(), g, c, 4, 3),
                    doctest::Contains("outside the 6 windows"));
}

TEST_CASE("window rows read a slice of a token buffer larger than one storage binding") {
  const uint64_t limit = test::gpu().info().max_storage_buffer_range;
  if (limit > (256ull << 20)) return;  // devices with larger bindings never need a window
  // A buffer just past the limit; the tokens are its last 4×4×8 floats.
  const uint64_t floats = limit / 4 + 4096;
  vk::Buffer big = test::gpu().create_buffer(floats * 4);
  const WindowGrid g{4, 4, 3};
  const int c = 8;
  std::vector<float> tokens(size_t(16) * c);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = float(i) * 0.5f;
  const uint64_t offset = floats - tokens.size() - 3;  // not aligned to anything
  test::gpu().upload(big, tokens.data(), tokens.size() * 4, offset * 4);
  GuardedBuffer windows(size_t(g.windows()) * 9 * c);
  vk::Recorder rec(test::gpu());
  kernels::record_window_partition(rec, kernels::BufferRef(big, offset), windows.ref(), g, c);
  rec.submit();
  const std::vector<float> w = windows.read();
  CHECK(w[0] == tokens[0]);
  CHECK(w[(4 * 9 - 9) * c + c + 1] == 0.0f);                 // window 3, row 1 = (3, 4): padding
  CHECK(w[(3 * 9) * c + 5] == tokens[(3 * 4 + 3) * c + 5]);  // window 3, row 0 = (3, 3)
  CHECK(windows.guards_intact());
}
