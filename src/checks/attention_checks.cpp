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

constexpr float kFp32Min = -3.4028234663852886e38f;  // torch.finfo(float32).min

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
  if (mask == MaskKind::Causal) s << " causal";
  if (mask == MaskKind::Causal && causal_offset != 0) s << "@" << causal_offset;
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

  a.on_host = p.on_host;
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
  r.variant = p.on_host ? "host sgemm" : variant == vk::KernelVariant::Cpu ? "cpu" : "gpu";
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
  // Head dim 64 throughout (BLIP's, ViT-GPT2's): the kernels are specialised per head dim, and
  // on a CPU driver every specialisation takes seconds to compile. The test suite covers 8..128.
  std::vector<NamedAttentionProblem> out;
  AttentionProblem p;
  p.batch = 2, p.lq = 5, p.lk = 9, p.heads = 2, p.d = 64;
  p.q_row = 2 * 64 + 7, p.k_row = 2 * 64 + 13, p.v_row = 2 * 64 + 3, p.out_row = 2 * 64 + 8;
  p.q_batch = 5 * p.q_row + 4, p.k_batch = 9 * p.k_row + 2, p.v_batch = 9 * p.v_row + 6, p.out_batch = 5 * p.out_row + 2;
  out.push_back({"padded strides (odd)", p});
  p = {};
  p.fused_qkv = true, p.batch = 2, p.lq = p.lk = 11, p.heads = 3, p.d = 64, p.mask = MaskKind::Causal;
  out.push_back({"fused qkv causal", p});
  p = {};
  p.batch = 6, p.kv_div = 4, p.lq = 7, p.lk = 23, p.heads = 2, p.d = 64;
  p.mask = MaskKind::Causal, p.causal_offset = 16, p.probs = true;
  out.push_back({"4 beams x 7 queries, causal, probabilities", p});
  p = {};
  p.batch = 4, p.kv_div = 2, p.lq = 3, p.lk = 13, p.heads = 2, p.d = 64, p.probs = true;
  p.mask = MaskKind::KeyPadding, p.mode = MaskMode::Replace, p.masked_value = kFp32Min;
  p.key_valid.assign(size_t(2) * 13, 1.0f);
  for (int j = 9; j < 13; ++j) p.key_valid[j] = 0.0f;
  for (int j : {0, 5, 12}) p.key_valid[13 + j] = 0.0f;
  out.push_back({"key padding replace", p});
  p = {};
  p.lq = 2, p.lk = 1031, p.heads = 2, p.d = 64, p.qk_magnitude = 8.0f;
  out.push_back({"long keys, peaked softmax", p, 50.0});
  return out;
}

CheckResult check_attention_decode_steps(const CheckRun& run, vk::KernelVariant variant, MaskMode mode,
                                         int head_dim) {
  const int T = 9, heads = 2, d = head_dim, hd = heads * d;
  CheckResult r;
  r.family = "attention";
  r.variant = variant == vk::KernelVariant::Cpu ? "cpu" : "gpu";
  r.shape = "decode steps vs full causal, T=9 heads=2 d=" + std::to_string(d) +
            (mode == MaskMode::Add ? " add" : " replace");
  const float masked = mode == MaskMode::Add ? -10000.0f : kFp32Min;
  const std::vector<float> q = random_values(size_t(T) * hd, 5), k = random_values(size_t(T) * hd, 6),
                           v = random_values(size_t(T) * hd, 7);
  vk::Context& ctx = run.ctx;
  GuardedBuffer qb(ctx, q), kb(ctx, k), vb(ctx, v), full(ctx, size_t(T) * hd), steps(ctx, size_t(T) * hd);
  AttentionArgs a;
  a.q = qb.ref(), a.k = kb.ref(), a.v = vb.ref(), a.out = full.ref();
  a.lq = a.lk = T, a.heads = heads, a.head_dim = d, a.scale = 0.17f;
  a.mask = MaskKind::Causal, a.mask_mode = mode, a.masked_value = masked;
  vk::Recorder rec(ctx);
  kernels::record_attention(rec, a, variant);
  for (int t = 0; t < T; ++t) {
    AttentionArgs s = a;
    s.q = {qb.buffer(), qb.ref().offset + uint64_t(t) * hd};
    s.out = {steps.buffer(), steps.ref().offset + uint64_t(t) * hd};
    s.lq = 1, s.lk = t + 1, s.causal_offset = t;
    kernels::record_attention(rec, s, variant);
  }
  rec.submit();
  run.compare(r, steps.read(), full.read(), Tolerance::for_reduction(T + d), "steps vs full");
  r.require(full.guards_intact() && steps.guards_intact(), "guard bands overwritten");
  return r;
}

namespace {

void add_shape_problems(std::vector<NamedAttentionProblem>& out) {
  for (int d : {8, 16, 24, 32, 64, 80, 128}) {
    AttentionProblem p;
    p.lq = 7, p.lk = 17, p.heads = 2, p.d = d, p.seed = uint32_t(d);
    out.push_back({"head_dim " + std::to_string(d), p, 1.0, "head dims"});
  }
  const int pairs[][2] = {{1, 1}, {1, 2}, {2, 7}, {7, 1}, {17, 64}, {64, 17}, {2, 2}, {17, 17}};
  for (auto [lq, lk] : pairs) {
    AttentionProblem p;
    p.lq = lq, p.lk = lk, p.heads = 3, p.d = 32, p.seed = uint32_t(lq * 100 + lk);
    out.push_back({"lq " + std::to_string(lq) + " lk " + std::to_string(lk), p, 1.0, "lengths"});
  }
  AttentionProblem p;
  p.batch = 2, p.lq = 5, p.lk = 9, p.heads = 4, p.d = 16;
  p.q_row = 4 * 16 + 6, p.k_row = 4 * 16 + 10, p.v_row = 4 * 16 + 2, p.out_row = 4 * 16 + 8;
  p.q_batch = 5 * p.q_row + 4, p.k_batch = 9 * p.k_row + 2, p.v_batch = 9 * p.v_row + 6, p.out_batch = 5 * p.out_row + 2;
  out.push_back({"padded strides (even: 64-bit loads)", p, 1.0, "strides"});
  p.q_row += 1, p.k_row += 3, p.v_row += 1;  // odd strides: the Cpu variant falls back to 32-bit loads
  out.push_back({"padded strides (odd)", p, 1.0, "strides"});
  p = {};
  p.fused_qkv = true;
  p.batch = 2, p.lq = p.lk = 11, p.heads = 3, p.d = 24;
  out.push_back({"fused qkv", p, 1.0, "fused"});
  p.mask = MaskKind::Causal;
  out.push_back({"fused qkv causal", p, 1.0, "fused"});
}

void add_beam_and_magnitude_problems(std::vector<NamedAttentionProblem>& out) {
  AttentionProblem p;
  p.batch = 3, p.kv_div = 3, p.lq = 1, p.lk = 17, p.heads = 2, p.d = 32;
  out.push_back({"3 beams, one image", p, 1.0, "beams"});
  p.batch = 4, p.kv_div = 2, p.lq = 2;
  out.push_back({"2 images x 2 beams", p, 1.0, "beams"});
  p.batch = 5, p.kv_div = 2;  // the last image has a single beam
  out.push_back({"ragged last image", p, 1.0, "beams"});
  // The Cpu kernel's rows are the (beam, query) pairs of one image: 4 beams x 7 queries = 28
  // rows span two 16-row subgroups, a subgroup mixes beams, and the causal mask follows each
  // row's own query position; the ragged last image has 2 beams (14 rows).
  p.batch = 6, p.kv_div = 4, p.lq = 7, p.lk = 23, p.d = 64;
  p.mask = MaskKind::Causal, p.causal_offset = 16;
  out.push_back({"4 beams x 7 queries, causal", p, 1.0, "beams"});
  p.probs = true;
  out.push_back({"4 beams x 7 queries, causal, probabilities", p, 1.0, "beams"});
  p = {};
  p.batch = 1, p.lq = 7, p.lk = 17, p.heads = 2, p.d = 64;
  p.v_magnitude = 1e4f;
  out.push_back({"v 1e4", p, 1.0, "magnitudes"});
  p.v_magnitude = 1e-4f;
  out.push_back({"v 1e-4", p, 1.0, "magnitudes"});
  p.v_magnitude = 1.0f;
  p.qk_magnitude = 1e-4f;  // scores near zero: almost uniform attention
  out.push_back({"q,k 1e-4", p, 1.0, "magnitudes"});
  p.qk_magnitude = 8.0f;  // scores up to ~500: peaked softmax, large exponent range
  out.push_back({"q,k 8", p, 50.0, "magnitudes"});
  p = {};
  p.lq = p.lk = 577, p.heads = 12, p.d = 64;
  out.push_back({"577x577", p, 1.0, "large"});
  p = {};
  p.lq = 2, p.lk = 4096, p.heads = 2, p.d = 64, p.probs = true;
  out.push_back({"lk 4096", p, 1.0, "large"});
}

void add_mask_problems(std::vector<NamedAttentionProblem>& out) {
  AttentionProblem p;
  p.lq = p.lk = 17, p.heads = 2, p.d = 16, p.mask = MaskKind::Causal, p.probs = true;
  p.mode = MaskMode::Add, p.masked_value = -10000.0f;
  out.push_back({"causal add -10000", p, 1.0, "causal"});
  p.mode = MaskMode::Replace, p.masked_value = kFp32Min;
  out.push_back({"causal replace fp32 min", p, 1.0, "causal"});
  p.lq = 3, p.causal_offset = 14;  // the last 3 tokens of 17 against the whole cache
  out.push_back({"causal offset 14", p, 1.0, "causal"});
  p = {};
  p.batch = 4, p.kv_div = 2, p.lq = 3, p.lk = 13, p.heads = 2, p.d = 24, p.probs = true;
  p.mask = MaskKind::KeyPadding;
  p.key_valid.assign(size_t(2) * 13, 1.0f);
  for (int j = 9; j < 13; ++j) p.key_valid[j] = 0.0f;   // image 0: 9 real keys
  for (int j : {0, 5, 12}) p.key_valid[13 + j] = 0.0f;  // image 1: scattered holes
  out.push_back({"key padding add", p, 1.0, "key padding"});
  p.mode = MaskMode::Replace, p.masked_value = kFp32Min;
  out.push_back({"key padding replace", p, 1.0, "key padding"});
  // torch: with Replace, a row whose every score is finfo.min has max = finfo.min, so every
  // exp(s − max) = 1: uniform attention (the output is the mean of V). With Add, every score is
  // shifted by the same −10000 (up to fp32 rounding of s − 10000), so the row is ≈ the unmasked
  // softmax — the reference rounds exactly like torch's fp32 add.
  p = {};
  p.batch = 2, p.kv_div = 1, p.lq = 2, p.lk = 7, p.heads = 2, p.d = 16, p.probs = true;
  p.mask = MaskKind::KeyPadding;
  p.key_valid.assign(size_t(2) * 7, 1.0f);
  for (int j = 0; j < 7; ++j) p.key_valid[j] = 0.0f;  // batch 0: nothing to attend to
  p.mode = MaskMode::Replace, p.masked_value = kFp32Min;
  out.push_back({"all masked, replace", p, 1.0, "all masked"});
  // s − 10000 is rounded to a 2^-10 grid in fp32; device and reference may round one score
  // apart, a relative change of ~1e-3 in its probability.
  p.mode = MaskMode::Add, p.masked_value = -10000.0f;
  out.push_back({"all masked, add", p, 100.0, "all masked"});
  // Causal with offset −1: query 0 sees no key at all.
  p = {};
  p.lq = 3, p.lk = 5, p.heads = 1, p.d = 8, p.mask = MaskKind::Causal, p.causal_offset = -1, p.probs = true;
  p.mode = MaskMode::Replace, p.masked_value = kFp32Min;
  out.push_back({"causal offset -1, replace", p, 1.0, "all masked"});
}

}  // namespace

std::vector<NamedAttentionProblem> attention_problems() {
  std::vector<NamedAttentionProblem> out;
  add_shape_problems(out);
  add_beam_and_magnitude_problems(out);
  add_mask_problems(out);
  return out;
}

}  // namespace vkcap::checks
