#include "checks/guarded_buffer.h"

#include <algorithm>

namespace vkcap::checks {

GuardedBuffer::GuardedBuffer(vk::Context& ctx, size_t count, float fill) : ctx_(&ctx), count_(count) {
  std::vector<float> host(count + 2 * kGuard, kSentinel);
  std::fill(host.begin() + kGuard, host.end() - kGuard, fill);
  buffer_ = ctx.create_buffer(host.size() * sizeof(float));
  ctx.upload(buffer_, host.data(), host.size() * sizeof(float));
}

GuardedBuffer::GuardedBuffer(vk::Context& ctx, std::span<const float> values) : ctx_(&ctx), count_(values.size()) {
  std::vector<float> host(values.size() + 2 * kGuard, kSentinel);
  std::copy(values.begin(), values.end(), host.begin() + kGuard);
  buffer_ = ctx.create_buffer(host.size() * sizeof(float));
  ctx.upload(buffer_, host.data(), host.size() * sizeof(float));
}

std::vector<float> GuardedBuffer::read() const {
  std::vector<float> out(count_);
  ctx_->download(buffer_, out.data(), count_ * sizeof(float), kGuard * sizeof(float));
  return out;
}

bool GuardedBuffer::guards_intact() const {
  std::vector<float> host(count_ + 2 * kGuard);
  ctx_->download(buffer_, host.data(), host.size() * sizeof(float));
  for (size_t i = 0; i < kGuard; ++i)
    if (host[i] != kSentinel || host[host.size() - 1 - i] != kSentinel) return false;
  return true;
}

}  // namespace vkcap::checks
