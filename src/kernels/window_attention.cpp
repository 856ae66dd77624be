// record_window_attention: partition → qkv matmul → fused attention (batch = windows) → merge,
// chunk by chunk of windows.
#include <algorithm>

#include "kernels/attention.h"
#include "kernels/ops_checks.h"
#include "kernels/window_attention.h"
#include "kernels/window_attention_host.h"

namespace vkcap::kernels {

namespace {

void check_scratch(vk::Recorder& rec, const std::string& op, const char* name, const BufferRef& ref) {
  using namespace ops_detail;
  if (!ref.buffer || !*ref.buffer) fail(op, std::string(name) + " is not set");
  const uint64_t limit = rec.context().info().max_storage_buffer_range;
  // The matmul and attention kernels of the Gpu variant bind their operands whole.
  if (ref.buffer->size() > limit)
    fail(op, std::string(name) + " (" + std::to_string(ref.buffer->size()) +
                 " bytes) is larger than one storage binding (maxStorageBufferRange " + std::to_string(limit) + ")");
}

}  // namespace

int window_attention_chunk(const WindowAttentionArgs& a) {
  if (!a.window_rows.buffer || !a.window_qkv.buffer || a.channels < 1 || a.grid.window < 1) return 0;
  const uint64_t rows = uint64_t(a.grid.window_area());
  const uint64_t by_rows = a.window_rows.available() / (rows * a.channels);
  const uint64_t by_qkv = a.window_qkv.available() / (rows * 3 * uint64_t(a.channels));
  return int(std::min<uint64_t>({by_rows, by_qkv, uint64_t(std::max(a.grid.windows(), 1))}));
}

void record_window_attention(vk::Recorder& rec, const WindowAttentionArgs& a) {
  using namespace ops_detail;
  const std::string op = "window attention";
  if (!a.qkv) fail(op, "no qkv weight");
  const int c = a.channels;
  dim(op, "channels", c);
  dim(op, "heads", a.heads);
  if (c % a.heads != 0)
    fail(op, "channels " + std::to_string(c) + " are not divisible by heads " + std::to_string(a.heads));
  if (a.qkv->k != c || a.qkv->n != 3 * c)
    fail(op, "the qkv weight is " + std::to_string(a.qkv->n) + "x" + std::to_string(a.qkv->k) + ", expected " +
                 std::to_string(3 * c) + "x" + std::to_string(c));
  dim(op, "height", a.grid.height);
  dim(op, "width", a.grid.width);
  dim(op, "window", a.grid.window);
  check_scratch(rec, op, "window_rows", a.window_rows);
  check_scratch(rec, op, "window_qkv", a.window_qkv);
  if (window_attention_on_host(a)) return record_window_attention_host(rec, a);
  const int chunk = window_attention_chunk(a);
  if (chunk < 1)
    fail(op, "the scratch buffers do not hold one window (" + std::to_string(a.grid.window_area()) + " rows of " +
                 std::to_string(c) + " and " + std::to_string(3 * c) + " floats)");
  const int area = a.grid.window_area(), head_dim = c / a.heads;
  for (int first = 0; first < a.grid.windows(); first += chunk) {
    const int count = std::min(chunk, a.grid.windows() - first);
    record_window_partition(rec, a.x, a.window_rows, a.grid, c, first, count);
    LinearArgs qkv;
    qkv.w = a.qkv;
    qkv.x = a.window_rows;
    qkv.m = count * area;
    qkv.y = a.window_qkv;
    qkv.shaders_only = true;  // an encoder's product: on the host only through a host weight
    record_linear(rec, qkv);
    // Into the partitioned x, consumed by now.
    const AttentionArgs attn = fused_self_attention(a.window_qkv, a.window_rows, count, area, a.heads, head_dim);
    record_attention(rec, attn, a.qkv->variant);  // one kernel family per model, chosen by its weights
    record_window_merge(rec, a.window_rows, a.out, a.grid, c, first, count);
  }
}

}  // namespace vkcap::kernels
