#pragma once
// Per-layer self-attention queries, keys and values for every decoding row, on the GPU, one
// buffer per layer: row r, position t holds [q | k | v] (3·d floats) at r*capacity*3d + t*3d.
// A step's fused q|k|v projection writes its output in place (output row stride capacity*3d):
// one matrix-vector dispatch instead of three, which matters on CPU devices where each dispatch
// costs ~0.1 ms. Only the keys and values of past positions are read back; the q third of a
// slot is the current step's query. When beam search re-parents rows, the filled part of each
// row is gathered into a second set of buffers, which then becomes current (no copy back).
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
  // New row r continues old row parent[r]; records the gathers (all layers) when needed. Only
  // positions < `filled` are copied (the rest are written before they are read).
  void reorder(vk::Recorder& rec, const std::vector<int>& parent, int filled);

  int capacity() const { return capacity_; }
  // Changes whenever the buffers behind slots() change (reallocation, or the swap after
  // a reorder), so that recorded command buffers know when they are stale.
  uint64_t layout_id() const { return allocations_ * 2 + (swapped_ ? 1 : 0); }
  int64_t row_stride() const { return int64_t(capacity_) * position_stride(); }
  int64_t position_stride() const { return 3 * int64_t(d_); }
  // Element offsets of q, k and v within a position's slot.
  int64_t query_offset() const { return 0; }
  int64_t key_offset() const { return d_; }
  int64_t value_offset() const { return 2 * int64_t(d_); }
  const vk::Buffer& slots(int layer) const { return current_[layer]; }

 private:
  std::vector<vk::Buffer> allocate(int rows, int capacity);
  vk::Context& ctx_;
  int layers_, d_;
  int rows_capacity_ = 0, capacity_ = 0;
  std::vector<vk::Buffer> current_, spare_;
  vk::Buffer parent_;
  uint64_t allocations_ = 0;
  bool swapped_ = false;
};

}  // namespace vkcap::model
