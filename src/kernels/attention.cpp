#include "kernels/attention.h"
#include "kernels/attention_host.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/error.h"
#include "vk/context.h"

namespace vkcap::kernels {

namespace {

constexpr int kMaxHeadDim = 128;

[[noreturn]] void fail(const std::string& what) { throw Error("record_attention: " + what); }

// One operand's layout with the defaults filled in.
struct Operand {
  const char* name;
  BufferRef ref;
  int64_t row_stride;
  int64_t batch_stride;
  int batches;  // batch (q, out) or kv batches (k, v)
  int rows;     // lq or lk
};

// Both shaders index with 32-bit element numbers; every element an operand can reach must
// exist in its buffer and fit that range.
void check_operand(const Operand& o, int heads, int head_dim) {
  if (o.ref.buffer == nullptr || !*o.ref.buffer) fail(std::string(o.name) + " buffer is missing");
  if (o.row_stride < int64_t(heads) * head_dim)
    fail(std::string(o.name) + " row stride " + std::to_string(o.row_stride) + " is less than heads*head_dim " +
         std::to_string(heads * head_dim));
  if (o.batch_stride < 0) fail(std::string(o.name) + " batch stride is negative");
  const uint64_t last = uint64_t(o.batches - 1) * o.batch_stride + uint64_t(o.rows - 1) * o.row_stride +
                        uint64_t(heads) * head_dim;  // one past the last element
  const uint64_t available = o.ref.available();
  if (o.ref.offset > o.ref.buffer->size() / 4 || last > available)
    fail(std::string(o.name) + " needs " + std::to_string(last) + " floats from offset " +
         std::to_string(o.ref.offset) + " but its buffer holds " + std::to_string(o.ref.buffer->size() / 4));
  if (o.ref.offset + last > (uint64_t(1) << 32))
    fail(std::string(o.name) + " reaches past 2^32 elements (unsupported by the shaders)");
}

struct Layout {
  Operand q, k, v, out;
  int kv_batches;
};

Layout resolve(const AttentionArgs& a) {
  if (a.batch < 1 || a.lq < 1 || a.lk < 1 || a.heads < 1)
    fail("batch, lq, lk and heads must be >= 1 (got batch " + std::to_string(a.batch) + ", lq " +
         std::to_string(a.lq) + ", lk " + std::to_string(a.lk) + ", heads " + std::to_string(a.heads) + ")");
  if (a.head_dim < 1 || a.head_dim > kMaxHeadDim)
    fail("head_dim " + std::to_string(a.head_dim) + " is outside 1.." + std::to_string(kMaxHeadDim));
  if (a.kv_batch_divisor < 1) fail("kv_batch_divisor " + std::to_string(a.kv_batch_divisor) + " must be >= 1");
  const int hd = a.heads * a.head_dim;
  const int kv_batches = (a.batch + a.kv_batch_divisor - 1) / a.kv_batch_divisor;
  auto row = [&](int s) -> int64_t { return s == 0 ? hd : s; };
  auto batch = [&](int64_t s, int64_t row_stride, int rows) -> int64_t { return s == 0 ? row_stride * rows : s; };
  Layout l{};
  l.kv_batches = kv_batches;
  l.q = {"q", a.q, row(a.q_row_stride), 0, a.batch, a.lq};
  l.k = {"k", a.k, row(a.k_row_stride), 0, kv_batches, a.lk};
  l.v = {"v", a.v, row(a.v_row_stride), 0, kv_batches, a.lk};
  l.out = {"out", a.out, row(a.out_row_stride), 0, a.batch, a.lq};
  l.q.batch_stride = batch(a.q_batch_stride, l.q.row_stride, a.lq);
  l.k.batch_stride = batch(a.k_batch_stride, l.k.row_stride, a.lk);
  l.v.batch_stride = batch(a.v_batch_stride, l.v.row_stride, a.lk);
  l.out.batch_stride = batch(a.out_batch_stride, l.out.row_stride, a.lq);
  for (const Operand* o : {&l.q, &l.k, &l.v, &l.out}) check_operand(*o, a.heads, a.head_dim);
  if (a.out.buffer == a.q.buffer || a.out.buffer == a.k.buffer || a.out.buffer == a.v.buffer)
    fail("out must not share a buffer with q, k or v");
  if (a.mask == MaskKind::KeyPadding) {
    if (a.key_valid.buffer == nullptr) fail("KeyPadding mask without a key_valid buffer");
    if (a.key_valid.available() < uint64_t(kv_batches) * a.lk)
      fail("key_valid holds " + std::to_string(a.key_valid.available()) + " floats, needs kv batches*lk = " +
           std::to_string(uint64_t(kv_batches) * a.lk));
  }
  if (a.probs.buffer != nullptr) {
    const uint64_t n = uint64_t(a.batch) * a.heads * a.lq * a.lk;
    if (a.probs.available() < n)
      fail("probs holds " + std::to_string(a.probs.available()) + " floats, needs batch*heads*lq*lk = " +
           std::to_string(n));
    if (a.probs.offset + n > (uint64_t(1) << 32)) fail("probs reaches past 2^32 elements");
  }
  return l;
}

// Shared by both shaders (addresses for the CPU variant, element offsets for the GPU one).
struct ShapePush {
  uint32_t q_row, k_row, v_row, o_row;
  uint32_t q_batch, k_batch, v_batch, o_batch;
  uint32_t lq, lk, heads, kv_div;
  float scale, masked_value;
  uint32_t mask_kind, replace;
  int32_t causal_offset;
  uint32_t write_probs;
  uint32_t batch;  // read by the Cpu shader only (its rows span the batch entries of a kv batch)
};

ShapePush shape_push(const AttentionArgs& a, const Layout& l) {
  ShapePush s{};
  s.q_row = uint32_t(l.q.row_stride);
  s.k_row = uint32_t(l.k.row_stride);
  s.v_row = uint32_t(l.v.row_stride);
  s.o_row = uint32_t(l.out.row_stride);
  s.q_batch = uint32_t(l.q.batch_stride);
  s.k_batch = uint32_t(l.k.batch_stride);
  s.v_batch = uint32_t(l.v.batch_stride);
  s.o_batch = uint32_t(l.out.batch_stride);
  s.lq = uint32_t(a.lq);
  s.lk = uint32_t(a.lk);
  s.heads = uint32_t(a.heads);
  s.kv_div = uint32_t(a.kv_batch_divisor);
  s.scale = a.scale;
  s.masked_value = a.masked_value;
  s.mask_kind = a.mask == MaskKind::None ? 0u : (a.mask == MaskKind::Causal ? 1u : 2u);
  s.replace = a.mask_mode == MaskMode::Replace ? 1u : 0u;
  s.causal_offset = a.causal_offset;
  s.write_probs = a.probs.buffer != nullptr ? 1u : 0u;
  s.batch = uint32_t(a.batch);
  return s;
}

struct CpuPush {
  uint64_t q, k, v, o, valid, probs;
  ShapePush shape;
};
// 124 bytes of fields, padded to 128: within the 128 bytes of push constants every device offers.
static_assert(sizeof(CpuPush) == 128);

struct GpuPush {
  uint32_t q, k, v, o, valid, probs;
  ShapePush shape;
};

// Query rows per subgroup in the CPU variant: more rows share each K/V load (measured on
// lavapipe at 577×577×12×64: 1 row 3.3, 2 rows 5.3, 4 rows 7.5, 8 rows 8.7 GFLOP/s, despite
// some spilling; on the AVX2 host, where every K/V load is 8 one-lane loads, 8 rows 8.8–10.1,
// 16 rows 10.1–10.8, 32 rows 9.8–10.5), capped so that rows × head_dim stays ≤ 1024
// accumulators per lane group, and at the next power of two ≥ lq so short queries waste no rows
// (and few pipelines are built). The rows of one subgroup are the (beam, query) pairs of the
// batch entries sharing one kv batch: kv_batch_divisor · lq of them.
// (beam, query) rows of the largest kv batch: the Cpu kernel's rows per kv batch.
uint32_t cpu_group_rows(const AttentionArgs& a) {
  return uint32_t(std::min(a.kv_batch_divisor, a.batch)) * uint32_t(a.lq);
}

uint32_t cpu_rows_per_subgroup(const AttentionArgs& a) {
  const uint32_t cap = std::clamp(1024u / uint32_t(a.head_dim), 1u, 16u);
  const uint32_t group_rows = cpu_group_rows(a);
  uint32_t rows = 1;
  while (rows < cap && rows < group_rows) rows *= 2;
  return std::min(rows, cap);
}

void record_cpu(vk::Recorder& rec, const AttentionArgs& a, const Layout& l) {
  vk::Context& ctx = rec.context();
  if (!ctx.info().supports_cpu_variant()) fail("the Cpu variant needs buffer device address, int64 and subgroups");
  const uint32_t sg = ctx.info().subgroup_size;
  const bool pairs = a.head_dim % 2 == 0 && l.q.row_stride % 2 == 0 && l.k.row_stride % 2 == 0 &&
                     l.v.row_stride % 2 == 0 && l.q.batch_stride % 2 == 0 && l.k.batch_stride % 2 == 0 &&
                     l.v.batch_stride % 2 == 0 && a.q.offset % 2 == 0 && a.k.offset % 2 == 0 &&
                     a.v.offset % 2 == 0;
  const uint32_t rows = cpu_rows_per_subgroup(a);
  if (sg != 4 && sg != 8 && sg != 16 && sg != 32)
    fail("the Cpu variant needs a subgroup size of 4, 8, 16 or 32 (device has " + std::to_string(sg) + ")");
  const std::string shader = sg == 8 ? "attention_cpu" : "attention_cpu_sg" + std::to_string(sg);
  const vk::Kernel& kernel = ctx.kernel({shader, 0, sizeof(CpuPush), {uint32_t(a.head_dim), rows, pairs ? 1u : 0u}});
  CpuPush p{};
  p.q = a.q.address();
  p.k = a.k.address();
  p.v = a.v.address();
  p.o = a.out.address();
  p.valid = a.mask == MaskKind::KeyPadding ? a.key_valid.address() : 0;
  p.probs = a.probs.buffer != nullptr ? a.probs.address() : 0;
  p.shape = shape_push(a, l);
  std::vector<vk::Use> uses{vk::reads_address(*a.q.buffer), vk::reads_address(*a.k.buffer),
                            vk::reads_address(*a.v.buffer), vk::writes_address(*a.out.buffer)};
  if (a.mask == MaskKind::KeyPadding) uses.push_back(vk::reads_address(*a.key_valid.buffer));
  if (a.probs.buffer != nullptr) uses.push_back(vk::writes_address(*a.probs.buffer));
  rec.dispatch(kernel, uses, &p, sizeof(p), (cpu_group_rows(a) + rows - 1) / rows, uint32_t(a.heads),
               uint32_t(l.kv_batches));
}

void record_gpu(vk::Recorder& rec, const AttentionArgs& a, const Layout& l) {
  vk::Context& ctx = rec.context();
  constexpr uint32_t kRows = 64, kTile = 16;
  const vk::Kernel& kernel = ctx.kernel({"attention_gpu", 6, sizeof(GpuPush), {kRows, uint32_t(a.head_dim), kTile}});
  const bool padding = a.mask == MaskKind::KeyPadding;
  const bool probs = a.probs.buffer != nullptr;
  GpuPush p{};
  p.q = uint32_t(a.q.offset);
  p.k = uint32_t(a.k.offset);
  p.v = uint32_t(a.v.offset);
  p.o = uint32_t(a.out.offset);
  p.valid = padding ? uint32_t(a.key_valid.offset) : 0;
  p.probs = probs ? uint32_t(a.probs.offset) : 0;
  p.shape = shape_push(a, l);
  // Unused bindings get a stand-in with the same access (q for reads, out for writes).
  std::vector<vk::Use> uses{vk::reads(*a.q.buffer),
                            vk::reads(*a.k.buffer),
                            vk::reads(*a.v.buffer),
                            vk::writes(*a.out.buffer),
                            vk::reads(padding ? *a.key_valid.buffer : *a.q.buffer),
                            vk::writes(probs ? *a.probs.buffer : *a.out.buffer)};
  rec.dispatch(kernel, uses, &p, sizeof(p), (uint32_t(a.lq) + kRows - 1) / kRows, uint32_t(a.heads),
               uint32_t(a.batch));
}

}  // namespace

void record_attention(vk::Recorder& rec, const AttentionArgs& args, vk::KernelVariant variant) {
  const Layout layout = resolve(args);
  if (args.on_host) {
    if (!attention_fits_host(args)) fail("the host path takes no mask, no probabilities and mapped buffers only");
    AttentionArgs resolved = args;
    resolved.q_row_stride = int(layout.q.row_stride), resolved.q_batch_stride = layout.q.batch_stride;
    resolved.k_row_stride = int(layout.k.row_stride), resolved.k_batch_stride = layout.k.batch_stride;
    resolved.v_row_stride = int(layout.v.row_stride), resolved.v_batch_stride = layout.v.batch_stride;
    resolved.out_row_stride = int(layout.out.row_stride), resolved.out_batch_stride = layout.out.batch_stride;
    return record_attention_host(rec, resolved);
  }
  if (variant == vk::KernelVariant::Cpu)
    record_cpu(rec, args, layout);
  else
    record_gpu(rec, args, layout);
}

void record_attention(vk::Recorder& rec, const AttentionArgs& args) {
  record_attention(rec, args, rec.context().info().preferred_variant());
}

double attention_flops(const AttentionArgs& a) {
  // QKᵀ and P·V: two multiply-adds per (query, key, head, dim).
  return 4.0 * a.batch * a.lq * double(a.lk) * a.head_dim * a.heads;
}

AttentionArgs fused_self_attention(BufferRef qkv, BufferRef out, int batch, int rows, int heads, int head_dim) {
  const uint64_t width = uint64_t(heads) * head_dim;
  AttentionArgs a;
  a.q = qkv;
  a.k = BufferRef(*qkv.buffer, qkv.offset + width);
  a.v = BufferRef(*qkv.buffer, qkv.offset + 2 * width);
  a.out = out;
  a.batch = batch;
  a.lq = a.lk = rows;
  a.heads = heads;
  a.head_dim = head_dim;
  a.q_row_stride = a.k_row_stride = a.v_row_stride = int(3 * width);
  a.scale = 1.0f / std::sqrt(float(head_dim));
  return a;
}

}  // namespace vkcap::kernels
