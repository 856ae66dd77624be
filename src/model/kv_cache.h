#pragma once
// Per-layer self-attention keys and values for every decoding row, on the GPU:
// layer l, row r, position t, feature f lives at r*capacity*d + t*d + f. New positions are
// written in place by the K/V projections (their output row stride is capacity*d). When beam
// search re-parents rows, whole rows are gathered into a second set of buffers, which then
// becomes current (no copy back).
#include <vector>

#include "kernels/buffer_ref.h"
#include "vk/context.h"
#include "vk/recorder.h"

namespace vkcap::model {

class KvCache {
 public:
  KvCache(vk::Context& ctx, int layers, int d);

  // Drops everything and sizes the cache for `rows` rows of `capacity` positions.
  void reset(int rows, int capacity);
  // Makes room for positions < `needed` (grows by doubling, keeping the contents).
  void ensure_capacity(int needed, int rows);
  // New row r continues old row parent[r]; records the gathers (all layers) when needed.
  void reorder(vk::Recorder& rec, const std::vector<int>& parent);

  int capacity() const { return capacity_; }
  // Changes whenever the buffers behind keys()/values() change (reallocation, or the swap after
  // a reorder), so that recorded command buffers know when they are stale.
  uint64_t layout_id() const { return allocations_ * 2 + (swapped_ ? 1 : 0); }
  int64_t row_stride() const { return int64_t(capacity_) * d_; }
  const vk::Buffer& keys(int layer) const { return current_[layer].k; }
  const vk::Buffer& values(int layer) const { return current_[layer].v; }

 private:
  struct Set {
    vk::Buffer k, v;
  };
  std::vector<Set> allocate(int rows, int capacity);
  vk::Context& ctx_;
  int layers_, d_;
  int rows_capacity_ = 0, capacity_ = 0;
  std::vector<Set> current_, spare_;
  vk::Buffer parent_;
  uint64_t allocations_ = 0;
  bool swapped_ = false;
};

}  // namespace vkcap::model
