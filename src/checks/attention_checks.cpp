#include "checks/attention_checks.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "checks/guarded_buffer.h"
#include "util/error.h"

namespace vkcap::checks {

using kernels::AttentionArgs;
using kernels::MaskKind;
using kernels::MaskMode;

namespace {

// One operand in host memory: element (b, i, h, e) at base + b·batch + i·row + h·d + e.
struct HostOperand {
  std::vector<float>* data;
  int64_t base, row, batch;
  int d;
  float at(int b, int i, int h, int e) const { return (*data)[base + b * batch + int64_t(i) * row + h * d + e]; }
};

std::vector<float> scaled_random(size_t n, uint32_t seed, float magnitude) {
  std::vector<float> v = random_values(n, seed);
  for (float& x : v) x *= magnitude;
  return v;
}

// Textbook attention in double. Masked scores follow torch in fp32: Add rounds the fp32 score
// plus masked_value to fp32 (what `scores + mask` does), Replace uses masked_value itself.
void reference(const AttentionProblem& p, const HostOperand& q, const HostOperand& k, const HostOperand& v,
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

}  // namespace

float AttentionProblem::the_scale() const { return scale ? *scale : float(1.0 / std::sqrt(double(d))); }

std::string AttentionProblem::shape() const {
  std::ostringstream s;
  s << "batch=" << batch << " kv_div=" << kv_div << " lq=" << lq << " lk=" << lk << " heads=" << heads << " d=" << d;
  if (mask == MaskKind::Causal) s << " causal" << (causal_offset ? "@" + std::to_string(causal_offset) : "");
  if (mask == MaskKind::KeyPadding) s << " key-padding";
  if (mask != MaskKind::None) s << (mode == MaskMode::Add ? " add" : " replace");
  if (fused_qkv) s << " fused-qkv";
  if (q_row || k_row || v_row || out_row) s << " strided";
  if (probs) s << " probs";
  return s.str();
}

// Builds the buffers, records the kernel with `variant`, and returns device and reference results.
AttentionOutcome run_attention(vk::Context& ctx, const AttentionProblem& p, vk::KernelVariant variant) {
  const int hd = p.hd();
  AttentionOutcome res;
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
    if (p.lq != p.lk || p.kv_div != 1) throw Error("attention check: a fused q|k|v problem needs lq == lk and kv_div 1");
    const int row = 3 * hd;
    qh = scaled_random(size_t(p.batch) * p.lq * row, p.seed, 1.0f);
    for (size_t r = 0; r < qh.size() / row; ++r)
      for (int c = 0; c < row; ++c) qh[r * row + c] *= c < 2 * hd ? p.qk_magnitude : p.v_magnitude;
    qb.emplace(ctx, std::span<const float>(qh));
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
      buf.emplace(ctx, std::span<const float>(host));
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
  GuardedBuffer outb(ctx, out_n, kUntouched);
  a.out = outb.ref();
  a.out_row_stride = p.out_row;
  a.out_batch_stride = p.out_batch;
  if (p.mask == MaskKind::KeyPadding) {
    validb.emplace(ctx, std::span<const float>(p.key_valid));
    a.key_valid = validb->ref();
  }
  const size_t probs_n = size_t(p.batch) * p.heads * p.lq * p.lk;
  if (p.probs) {
    probsb.emplace(ctx, probs_n, kUntouched);
    a.probs = probsb->ref();
  }

  vk::Recorder rec(ctx);
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
Tolerance attention_out_tolerance(const AttentionProblem& p, double extra) {
  Tolerance t = Tolerance::for_reduction(size_t(p.lk + p.d), 4e-6, 4e-5);
  t.abs *= p.v_magnitude * extra;
  t.rel *= extra;
  return t;
}

CheckResult check_attention(const CheckRun& run, const AttentionProblem& p, vk::KernelVariant variant,
                            const std::string& what, double extra_tolerance) {
  CheckResult r;
  r.family = "attention";
  r.variant = variant == vk::KernelVariant::Cpu ? "cpu" : "gpu";
  r.shape = what + ": " + p.shape();
  const AttentionOutcome o = run_attention(run.ctx, p, variant);
  run.compare(r, o.out, o.ref_out, attention_out_tolerance(p, extra_tolerance), "output");
  r.require(o.guards_ok, "guard bands overwritten");
  r.require(o.gaps_ok, "output elements outside the layout were written");
  if (p.probs)
    run.compare(r, o.probs, o.ref_probs,
                Tolerance::for_reduction(size_t(p.lk + p.d), 1e-6, 4e-5 * extra_tolerance), "probabilities");
  return r;
}

std::vector<NamedAttentionProblem> attention_quick_problems() {
  std::vector<NamedAttentionProblem> out;
  AttentionProblem p;
  p.lq = 7, p.lk = 17, p.heads = 2, p.d = 80, p.seed = 80;
  out.push_back({"head_dim 80", p});
  p = {};
  p.batch = 2, p.lq = 5, p.lk = 9, p.heads = 4, p.d = 16;
  p.q_row = 4 * 16 + 7, p.k_row = 4 * 16 + 13, p.v_row = 4 * 16 + 3, p.out_row = 4 * 16 + 8;
  p.q_batch = 5 * p.q_row + 4, p.k_batch = 9 * p.k_row + 2, p.v_batch = 9 * p.v_row + 6, p.out_batch = 5 * p.out_row + 2;
  out.push_back({"padded strides (odd)", p});
  p = {};
  p.fused_qkv = true, p.batch = 2, p.lq = p.lk = 11, p.heads = 3, p.d = 24, p.mask = MaskKind::Causal;
  out.push_back({"fused qkv causal", p});
  p = {};
  p.batch = 6, p.kv_div = 4, p.lq = 7, p.lk = 23, p.heads = 2, p.d = 64;
  p.mask = MaskKind::Causal, p.causal_offset = 16, p.probs = true;
  out.push_back({"4 beams x 7 queries, causal, probabilities", p});
  p = {};
  p.batch = 4, p.kv_div = 2, p.lq = 3, p.lk = 13, p.heads = 2, p.d = 24, p.probs = true;
  p.mask = MaskKind::KeyPadding, p.mode = MaskMode::Replace, p.masked_value = -3.4028234663852886e38f;
  p.key_valid.assign(size_t(2) * 13, 1.0f);
  for (int j = 9; j < 13; ++j) p.key_valid[j] = 0.0f;
  for (int j : {0, 5, 12}) p.key_valid[13 + j] = 0.0f;
  out.push_back({"key padding replace", p});
  p = {};
  p.lq = 2, p.lk = 1031, p.heads = 2, p.d = 64, p.qk_magnitude = 8.0f;
  out.push_back({"long keys, peaked softmax", p, 50.0});
  return out;
}

}  // namespace vkcap::checks
