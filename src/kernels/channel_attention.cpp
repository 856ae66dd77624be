// record_channel_attention: channel_scores.comp (A per group) then channel_mix.comp (v · Aᵀ).
#include <cmath>

#include "kernels/bound_window.h"
#include "kernels/channel_attention.h"
#include "kernels/channel_attention_host.h"

namespace vkcap::kernels {

namespace {
constexpr uint32_t kMaxGroupDim = 256;  // channel_scores.comp's shared row of scores
}

void record_channel_attention(vk::Recorder& rec, const ChannelAttentionArgs& a) {
  using namespace ops_detail;
  const std::string op = "channel attention";
  const uint32_t n = dim(op, "tokens", a.tokens);
  const uint32_t c = dim(op, "channels", a.channels);
  const uint32_t groups = dim(op, "groups", a.groups);
  if (c % groups != 0)
    fail(op, "channels " + std::to_string(c) + " are not divisible by groups " + std::to_string(groups));
  const uint32_t dg = c / groups;
  if (dg > kMaxGroupDim)
    fail(op, std::to_string(dg) + " channels per group exceed the supported " + std::to_string(kMaxGroupDim));
  if (uint64_t(c) * 4 > rec.context().info().max_shared_memory)
    fail(op, std::to_string(c) + " channels do not fit one workgroup's shared memory (" +
                 std::to_string(rec.context().info().max_shared_memory) + " bytes)");
  const uint32_t qkv_stride = a.qkv_stride ? dim(op, "qkv_stride", a.qkv_stride, 3 * int64_t(c)) : 3 * c;
  const uint32_t out_stride = a.out_stride ? dim(op, "out_stride", a.out_stride, c) : c;
  if (a.qkv.buffer && a.out.buffer && a.qkv.buffer->handle() == a.out.buffer->handle())
    fail(op, "out must not share a buffer with qkv");
  const uint64_t qkv_floats = uint64_t(n - 1) * qkv_stride + 3 * uint64_t(c);
  const uint64_t out_floats = uint64_t(n - 1) * out_stride + c;
  const uint64_t attn_floats = uint64_t(c) * dg;
  if (a.on_host) {
    record_channel_attention_host(rec, a, qkv_stride, out_stride);
    return;
  }

  struct {
    uint32_t qkv_offset, qkv_stride, attn_offset, tokens;
    uint32_t channels, group_dim;
    float scale;
  } scores{};
  {
    BoundOperand qkv = bind_floats(rec, op, "qkv", a.qkv, qkv_floats, vk::Access::Read);
    BoundOperand attn = bind_floats(rec, op, "attn", a.attn, attn_floats, vk::Access::Write);
    scores.qkv_offset = qkv.offset, scores.qkv_stride = qkv_stride, scores.attn_offset = attn.offset;
    scores.tokens = n, scores.channels = c, scores.group_dim = dg;
    scores.scale = float(std::pow(double(n), -0.5));  // torch: float(N) ** -0.5 in double, then fp32
    const vk::Kernel& k =
        rec.context().kernel({"channel_scores", 2, sizeof(scores), {kWorkgroup, kMaxGroupDim}});
    constexpr uint32_t kRowsPerGroup = 4;  // channel_scores.comp's ROWS
    const Grid g = row_grid(groups * ((dg + kRowsPerGroup - 1) / kRowsPerGroup));
    rec.dispatch(k, {qkv.use, attn.use}, scores, g.x, g.y);
  }
  struct {
    uint32_t qkv_offset, qkv_stride, attn_offset, out_offset;
    uint32_t out_stride, tokens, group_dim;
  } mix{};
  BoundOperand qkv = bind_floats(rec, op, "qkv", a.qkv, qkv_floats, vk::Access::Read);
  BoundOperand attn = bind_floats(rec, op, "attn", a.attn, attn_floats, vk::Access::Read);
  BoundOperand out = bind_floats(rec, op, "out", a.out, out_floats, vk::Access::Write);
  mix.qkv_offset = qkv.offset, mix.qkv_stride = qkv_stride, mix.attn_offset = attn.offset;
  mix.out_offset = out.offset, mix.out_stride = out_stride, mix.tokens = n, mix.group_dim = dg;
  const vk::Kernel& k = rec.context().kernel({"channel_mix", 3, sizeof(mix), {kWorkgroup, c}});
  const Grid g = row_grid(n);
  rec.dispatch(k, {qkv.use, attn.use, out.use}, mix, g.x, g.y);
}

}  // namespace vkcap::kernels
