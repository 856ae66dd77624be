#pragma once
// Attention test problems: host copies of Q/K/V laid out exactly as the kernel reads them
// (strides, fused buffers), a textbook reference in double (explicit score matrix, softmax, ·V),
// and a runner that records one dispatch with every operand surrounded by guard bands.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/attention.h"
#include "vk/context.h"

namespace vkcap::test::attention {

using kernels::AttentionArgs;
using kernels::MaskKind;
using kernels::MaskMode;
using test::kernel_variants;
using test::variant_name;

// The shape and layout of one problem; strides 0 mean the kernel's defaults.
struct Problem {
  int batch = 1, kv_div = 1, lq = 1, lk = 1, heads = 1, d = 8;
  int q_row = 0, k_row = 0, v_row = 0, out_row = 0;
  int64_t q_batch = 0, k_batch = 0, v_batch = 0, out_batch = 0;
  bool fused_qkv = false;  // q|k|v in one buffer, row stride 3·heads·d (needs lq == lk)
  MaskKind mask = MaskKind::None;
  int causal_offset = 0;
  MaskMode mode = MaskMode::Add;
  float masked_value = -10000.0f;
  std::vector<float> key_valid;  // KeyPadding: kv batches × lk
  bool probs = false;
  float qk_magnitude = 1.0f, v_magnitude = 1.0f;
  std::optional<float> scale;  // default 1/sqrt(d)
  uint32_t seed = 1;

  int hd() const { return heads * d; }
  int kv_batches() const { return (batch + kv_div - 1) / kv_div; }
  int row(int s) const { return s == 0 ? hd() : s; }
  int64_t bstride(int64_t s, int row_stride, int rows) const { return s == 0 ? int64_t(row_stride) * rows : s; }
  float the_scale() const { return scale ? *scale : float(1.0 / std::sqrt(double(d))); }
};

// One operand in host memory: element (b, i, h, e) at base + b·batch + i·row + h·d + e.
struct HostOperand {
  std::vector<float>* data;
  int64_t base, row, batch;
  int d;
  float at(int b, int i, int h, int e) const { return (*data)[base + b * batch + int64_t(i) * row + h * d + e]; }
};

struct Result {
  std::vector<float> out;                // dense [batch, lq, heads, d] gathered from the output layout
  std::vector<float> probs;              // [batch, heads, lq, lk]
  std::vector<double> ref_out, ref_probs;
  bool guards_ok = true, gaps_ok = true;
};

inline std::vector<float> scaled_random(size_t n, uint32_t seed, float magnitude) {
  std::vector<float> v = random_values(n, seed);
  for (float& x : v) x *= magnitude;
  return v;
}

// Textbook attention in double. Masked scores follow torch in fp32: Add rounds the fp32 score
// plus masked_value to fp32 (what `scores + mask` does), Replace uses masked_value itself.
inline void reference(const Problem& p, const HostOperand& q, const HostOperand& k, const HostOperand& v,
                      std::vector<double>& out, std::vector<double>& probs) {
  out.assign(size_t(p.batch) * p.lq * p.hd(), 0.0);
  probs.assign(size_t(p.batch) * p.heads * p.lq * p.lk, 0.0);
  const double scale = p.the_scale();
  std::vector<double> s(p.lk);
  for (int b = 0; b < p.batch; ++b) {
    const int kb = b / p.kv_div;
    for (int h = 0; h < p.heads; ++h)
      for (int i = 0; i < p.lq; ++i) {
        for (int j = 0; j < p.lk; ++j) {
          double dot = 0;
          for (int e = 0; e < p.d; ++e) dot += double(q.at(b, i, h, e)) * k.at(kb, j, h, e);
          double x = dot * scale;
          bool masked = false;
          if (p.mask == MaskKind::Causal) masked = j > p.causal_offset + i;
          if (p.mask == MaskKind::KeyPadding) masked = p.key_valid[size_t(kb) * p.lk + j] == 0.0f;
          if (masked) x = p.mode == MaskMode::Replace ? double(p.masked_value) : double(float(x) + p.masked_value);
          s[j] = x;
        }
        const double m = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (int j = 0; j < p.lk; ++j) sum += (s[j] = std::exp(s[j] - m));
        for (int j = 0; j < p.lk; ++j) {
          const double pj = s[j] / sum;
          probs[((size_t(b) * p.heads + h) * p.lq + i) * p.lk + j] = pj;
          for (int e = 0; e < p.d; ++e) out[(size_t(b) * p.lq + i) * p.hd() + h * p.d + e] += pj * v.at(kb, j, h, e);
        }
      }
  }
}

// Builds the buffers, records the kernel with `variant`, and returns device and reference results.
inline Result run(const Problem& p, vk::KernelVariant variant) {
  const int hd = p.hd();
  Result res;
  AttentionArgs a;
  a.batch = p.batch;
  a.kv_batch_divisor = p.kv_div;
  a.lq = p.lq;
  a.lk = p.lk;
  a.heads = p.heads;
  a.head_dim = p.d;
  a.scale = p.the_scale();
  a.mask = p.mask;
  a.causal_offset = p.causal_offset;
  a.mask_mode = p.mode;
  a.masked_value = p.masked_value;

  std::vector<float> qh, kh, vh;
  std::optional<GuardedBuffer> qb, kb, vb, validb, probsb;
  HostOperand hq{}, hk{}, hv{};
  if (p.fused_qkv) {
    REQUIRE(p.lq == p.lk);
    REQUIRE(p.kv_div == 1);
    const int row = 3 * hd;
    qh = scaled_random(size_t(p.batch) * p.lq * row, p.seed, 1.0f);
    for (size_t r = 0; r < qh.size() / row; ++r)
      for (int c = 0; c < row; ++c) qh[r * row + c] *= c < 2 * hd ? p.qk_magnitude : p.v_magnitude;
    qb.emplace(std::span<const float>(qh));
    const int64_t batch = int64_t(row) * p.lq;
    hq = {&qh, 0, row, batch, p.d};
    hk = {&qh, hd, row, batch, p.d};
    hv = {&qh, 2 * hd, row, batch, p.d};
    a.q = qb->ref();
    a.k = {qb->buffer(), qb->ref().offset + hd};
    a.v = {qb->buffer(), qb->ref().offset + 2 * hd};
    a.q_row_stride = a.k_row_stride = a.v_row_stride = row;
  } else {
    auto make = [&](std::vector<float>& host, std::optional<GuardedBuffer>& buf, HostOperand& op, int row_s,
                    int64_t batch_s, int batches, int rows, float magnitude, uint32_t seed) {
      const int row = p.row(row_s);
      const int64_t batch = p.bstride(batch_s, row, rows);
      const size_t n = size_t((batches - 1) * batch + int64_t(rows - 1) * row + hd);
      host = scaled_random(n, seed, magnitude);
      buf.emplace(std::span<const float>(host));
      op = {&host, 0, row, batch, p.d};
    };
    make(qh, qb, hq, p.q_row, p.q_batch, p.batch, p.lq, p.qk_magnitude, p.seed);
    make(kh, kb, hk, p.k_row, p.k_batch, p.kv_batches(), p.lk, p.qk_magnitude, p.seed + 100);
    make(vh, vb, hv, p.v_row, p.v_batch, p.kv_batches(), p.lk, p.v_magnitude, p.seed + 200);
    a.q = qb->ref();
    a.k = kb->ref();
    a.v = vb->ref();
    a.q_row_stride = p.q_row;
    a.k_row_stride = p.k_row;
    a.v_row_stride = p.v_row;
    a.q_batch_stride = p.q_batch;
    a.k_batch_stride = p.k_batch;
    a.v_batch_stride = p.v_batch;
  }
  const int out_row = p.row(p.out_row);
  const int64_t out_batch = p.bstride(p.out_batch, out_row, p.lq);
  const size_t out_n = size_t((p.batch - 1) * out_batch + int64_t(p.lq - 1) * out_row + hd);
  constexpr float kUntouched = 777.0f;
  GuardedBuffer outb(out_n, kUntouched);
  a.out = outb.ref();
  a.out_row_stride = p.out_row;
  a.out_batch_stride = p.out_batch;
  if (p.mask == MaskKind::KeyPadding) {
    validb.emplace(std::span<const float>(p.key_valid));
    a.key_valid = validb->ref();
  }
  const size_t probs_n = size_t(p.batch) * p.heads * p.lq * p.lk;
  if (p.probs) {
    probsb.emplace(probs_n, kUntouched);
    a.probs = probsb->ref();
  }

  vk::Recorder rec(gpu());
  kernels::record_attention(rec, a, variant);
  rec.submit();

  const std::vector<float> raw = outb.read();
  std::vector<bool> covered(out_n, false);
  res.out.resize(size_t(p.batch) * p.lq * hd);
  for (int b = 0; b < p.batch; ++b)
    for (int i = 0; i < p.lq; ++i)
      for (int c = 0; c < hd; ++c) {
        const size_t at = size_t(b * out_batch + int64_t(i) * out_row + c);
        res.out[(size_t(b) * p.lq + i) * hd + c] = raw[at];
        covered[at] = true;
      }
  for (size_t i = 0; i < out_n; ++i)
    if (!covered[i] && raw[i] != kUntouched) res.gaps_ok = false;
  res.guards_ok = outb.guards_intact() && qb->guards_intact() && (!kb || kb->guards_intact()) &&
                  (!vb || vb->guards_intact()) && (!probsb || probsb->guards_intact());
  if (probsb) res.probs = probsb->read();
  reference(p, hq, hk, hv, res.ref_out, res.ref_probs);
  return res;
}


// Output error budget: softmax-weighted sums of V (plus the lk-term normaliser) in fp32.
inline Tolerance out_tolerance(const Problem& p, double extra = 1.0) {
  Tolerance t = Tolerance::for_reduction(size_t(p.lk + p.d), 4e-6, 4e-5);
  t.abs *= p.v_magnitude * extra;
  t.rel *= extra;
  return t;
}

// Runs `p` on both variants and checks outputs (and probabilities when requested).
inline void check(const Problem& p, const std::string& what, double extra_tolerance = 1.0) {
  for (vk::KernelVariant variant : kernel_variants()) {
    const std::string label = what + " [" + variant_name(variant) + "]";
    CAPTURE(label);
    const Result r = run(p, variant);
    expect_close(r.out, r.ref_out, out_tolerance(p, extra_tolerance), label + " output");
    CHECK_MESSAGE(r.guards_ok, label << ": guard bands overwritten");
    CHECK_MESSAGE(r.gaps_ok, label << ": output elements outside the layout were written");
    if (p.probs) {
      expect_close(r.probs, r.ref_probs, Tolerance::for_reduction(size_t(p.lk + p.d), 1e-6, 4e-5 * extra_tolerance),
                   label + " probabilities");
    }
  }
}

}  // namespace vkcap::test::attention
