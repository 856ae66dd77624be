#include "model/kv_cache.h"

#include <cstring>

#include "kernels/attention.h"
#include "util/error.h"

namespace vkcap::model {

KvCache::KvCache(vk::Context& ctx, int layers, int d) : ctx_(ctx), layers_(layers), d_(d) {}

std::vector<vk::Buffer> KvCache::allocate(int rows, int capacity) {
  std::vector<vk::Buffer> buffers(layers_);
  const uint64_t bytes = uint64_t(rows) * capacity * position_stride() * sizeof(float);
  for (vk::Buffer& b : buffers) b = ctx_.create_buffer(bytes);
  return buffers;
}

void KvCache::reset(int rows, int capacity) {
  if (rows <= rows_capacity_ && capacity <= capacity_ && !current_.empty()) return;
  current_.clear();
  spare_.clear();
  rows_capacity_ = std::max(rows, rows_capacity_);
  capacity_ = std::max(capacity, capacity_);
  current_ = allocate(rows_capacity_, capacity_);
  spare_.clear();
  ++allocations_;
  swapped_ = false;
  parent_ = ctx_.create_buffer(uint64_t(rows_capacity_) * sizeof(int32_t));
}

void KvCache::ensure_capacity(int needed, int rows) {
  if (needed <= capacity_ && rows <= rows_capacity_) return;
  int capacity = capacity_;
  while (capacity < needed) capacity *= 2;
  const int row_capacity = std::max(rows, rows_capacity_);
  std::vector<vk::Buffer> grown = allocate(row_capacity, capacity);
  // Rare (past the first capacity): copy through the host, row by row.
  const uint64_t slot = uint64_t(position_stride());
  std::vector<float> row(size_t(capacity_) * slot);
  for (int l = 0; l < layers_; ++l)
    for (int r = 0; r < rows_capacity_; ++r) {
      ctx_.download(current_[l], row.data(), row.size() * 4, uint64_t(r) * capacity_ * slot * 4);
      ctx_.upload(grown[l], row.data(), row.size() * 4, uint64_t(r) * capacity * slot * 4);
    }
  current_ = std::move(grown);
  spare_.clear();
  ++allocations_;
  swapped_ = false;
  capacity_ = capacity;
  rows_capacity_ = row_capacity;
  parent_ = ctx_.create_buffer(uint64_t(rows_capacity_) * sizeof(int32_t));
}

void KvCache::reorder(vk::Recorder& rec, const std::vector<int>& parent, int filled) {
  bool identity = true;
  for (size_t r = 0; r < parent.size(); ++r) identity = identity && parent[r] == int(r);
  if (identity || filled <= 0) return;
  if (filled > capacity_)
    throw Error("internal: KV cache reorder of " + std::to_string(filled) + " positions, capacity " +
                std::to_string(capacity_));
  if (spare_.empty()) spare_ = allocate(rows_capacity_, capacity_);
  std::vector<int32_t> ids(parent.begin(), parent.end());
  ctx_.upload(parent_, ids.data(), ids.size() * sizeof(int32_t));
  for (int l = 0; l < layers_; ++l)
    kernels::record_gather_rows(rec, current_[l], spare_[l], parent_, int(parent.size()),
                                int64_t(filled) * position_stride(), row_stride());
  std::swap(current_, spare_);
  swapped_ = !swapped_;
}

}  // namespace vkcap::model
