// vkcap::attention: shapes checked in the user's words, then one fused attention dispatch
// (kernels::record_attention) with q/k/v/out read in place and heads split by strides.
#include <cmath>
#include <limits>

#include "api/primitives_impl.h"
#include "kernels/attention.h"

namespace vkcap {

namespace {

struct Operand {
  int batch = 1, length = 0, width = 0;
};

Operand operand(const Tensor& t, const char* name) {
  const std::vector<int>& s = t.shape();
  if (s.size() == 2) return {1, s[0], s[1]};
  if (s.size() == 3) return {s[0], s[1], s[2]};
  throw Error(std::string("attention: ") + name + " has shape " + shape_text(s) +
              ", expected [length, heads*head_dim] or [batch, length, heads*head_dim]");
}

}  // namespace

Attention attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options) {
  Context::Impl& ctx = context_of(q, "attention: q");
  if (&context_of(k, "attention: k") != &ctx || &context_of(v, "attention: v") != &ctx)
    throw Error("attention: q, k and v were made by different Contexts");
  const Operand oq = operand(q, "q"), ok = operand(k, "k"), ov = operand(v, "v");
  const int heads = options.heads;
  if (heads <= 0) throw Error("attention: heads = " + std::to_string(heads) + ", expected >= 1");
  if (oq.width % heads != 0)
    throw Error("attention: q width " + std::to_string(oq.width) + " is not divisible by heads = " +
                std::to_string(heads));
  if (ok.width != oq.width || ov.width != oq.width)
    throw Error("attention: q, k, v widths differ (" + std::to_string(oq.width) + ", " + std::to_string(ok.width) +
                ", " + std::to_string(ov.width) + "); project them to one width first");
  if (ok.length != ov.length || ok.batch != ov.batch)
    throw Error("attention: k " + shape_text(k.shape()) + " and v " + shape_text(v.shape()) +
                " must have the same batch and length (one value per key)");
  if (ok.batch != oq.batch && ok.batch != 1)
    throw Error("attention: k/v batch " + std::to_string(ok.batch) + " is neither q's batch " +
                std::to_string(oq.batch) + " nor 1");

  const int head_dim = oq.width / heads;
  Attention result;
  result.output = make_tensor(q.impl().context, q.shape());
  kernels::AttentionArgs a;
  a.q = kernels::BufferRef(q.impl().buffer);
  a.k = kernels::BufferRef(k.impl().buffer);
  a.v = kernels::BufferRef(v.impl().buffer);
  a.out = kernels::BufferRef(result.output.impl().buffer);
  a.batch = oq.batch;
  a.kv_batch_divisor = ok.batch == 1 ? oq.batch : 1;
  a.lq = oq.length;
  a.lk = ok.length;
  a.heads = heads;
  a.head_dim = head_dim;
  a.q_batch_stride = a.out_batch_stride = int64_t(oq.length) * oq.width;
  a.k_batch_stride = a.v_batch_stride = int64_t(ok.length) * ok.width;
  a.scale = options.scale ? *options.scale : 1.0f / std::sqrt(float(head_dim));
  if (options.causal) {
    if (ok.length < oq.length)
      throw Error("attention: causal with " + std::to_string(oq.length) + " queries but only " +
                  std::to_string(ok.length) + " keys (the first queries would see no key)");
    a.mask = kernels::MaskKind::Causal;
    a.causal_offset = ok.length - oq.length;
    // Replace the score with the lowest float (as GPT-2 does): its exp underflows to exactly 0,
    // so masked keys get zero weight like the tutorial's -inf, without inf - inf in the softmax.
    a.mask_mode = kernels::MaskMode::Replace;
    a.masked_value = std::numeric_limits<float>::lowest();
  }
  if (options.keep_probabilities) {
    result.probabilities = make_tensor(q.impl().context, {oq.batch, heads, oq.length, ok.length});
    a.probs = kernels::BufferRef(result.probabilities.impl().buffer);
  }
  vk::Recorder rec(ctx.gpu);
  kernels::record_attention(rec, a);
  rec.submit();
  return result;
}

}  // namespace vkcap
