#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "vk/sub_allocator.h"

using vkcap::vk::SubAllocator;

TEST_CASE("sub-allocator returns offsets aligned as asked") {
  SubAllocator ranges(1 << 20);
  for (uint64_t alignment : {1u, 4u, 16u, 64u, 256u, 4096u}) {
    auto offset = ranges.allocate(13, alignment);
    REQUIRE(offset);
    CHECK(*offset % alignment == 0);
  }
}

TEST_CASE("sub-allocator never hands out overlapping ranges across many sizes") {
  SubAllocator ranges(1 << 20);
  std::mt19937 rng(7);
  std::vector<std::pair<uint64_t, uint64_t>> live;
  for (int i = 0; i < 500; ++i) {
    uint64_t size = 1 + rng() % 3000, alignment = 1ull << (rng() % 9);
    if (auto offset = ranges.allocate(size, alignment)) {
      CHECK(*offset % alignment == 0);
      CHECK(*offset + size <= ranges.capacity());
      for (auto [o, s] : live) CHECK((*offset + size <= o || o + s <= *offset));
      live.push_back({*offset, size});
    }
    if (!live.empty() && rng() % 3 == 0) {
      size_t victim = rng() % live.size();
      ranges.free(live[victim].first, live[victim].second);
      live.erase(live.begin() + static_cast<long>(victim));
    }
  }
}

TEST_CASE("freed ranges coalesce so a fragmented block can be reused whole") {
  SubAllocator ranges(4096);
  std::vector<uint64_t> offsets;
  for (int i = 0; i < 16; ++i) offsets.push_back(*ranges.allocate(256, 256));
  CHECK_FALSE(ranges.allocate(1, 1));
  // Free every other range: 8 holes of 256 bytes, none large enough for 512.
  for (int i = 0; i < 16; i += 2) ranges.free(offsets[i], 256);
  CHECK(ranges.free_ranges() == 8);
  CHECK_FALSE(ranges.allocate(512, 1));
  for (int i = 1; i < 16; i += 2) ranges.free(offsets[i], 256);
  CHECK(ranges.free_ranges() == 1);
  CHECK(ranges.empty());
  auto whole = ranges.allocate(4096, 4096);
  REQUIRE(whole);
  CHECK(*whole == 0);
}

TEST_CASE("exhausting a block reports no room instead of overrunning") {
  SubAllocator ranges(1000);
  CHECK(ranges.allocate(600, 1));
  CHECK_FALSE(ranges.allocate(600, 1));
  CHECK(ranges.allocate(400, 1));
  CHECK_FALSE(ranges.allocate(1, 1));
}
