// Fused attention against a textbook double reference: shapes, layouts, batching.
#include <doctest/doctest.h>

#include "test_attention_problem.h"
#include "util/error.h"

using namespace vkcap::test::attention;
using vkcap::kernels::AttentionArgs;
using vkcap::test::GuardedBuffer;
using vkcap::test::gpu;

TEST_CASE("attention: every head dim from 8 to 128 matches the reference") {
  for (int d : {8, 16, 24, 32, 64, 80, 128}) {
    Problem p;
    p.lq = 7, p.lk = 17, p.heads = 2, p.d = d, p.seed = uint32_t(d);
    check(p, "head_dim " + std::to_string(d));
  }
}

TEST_CASE("attention: query and key lengths 1, 2, 7, 17, 64 (self and cross)") {
  const int pairs[][2] = {{1, 1}, {1, 2}, {2, 7}, {7, 1}, {17, 64}, {64, 17}, {2, 2}, {17, 17}};
  for (auto [lq, lk] : pairs) {
    Problem p;
    p.lq = lq, p.lk = lk, p.heads = 3, p.d = 32, p.seed = uint32_t(lq * 100 + lk);
    check(p, "lq " + std::to_string(lq) + " lk " + std::to_string(lk));
  }
}

TEST_CASE("attention: heads are split and merged through strides, padded rows untouched") {
  Problem p;
  p.batch = 2, p.lq = 5, p.lk = 9, p.heads = 4, p.d = 16;
  p.q_row = 4 * 16 + 6, p.k_row = 4 * 16 + 10, p.v_row = 4 * 16 + 2, p.out_row = 4 * 16 + 8;
  p.q_batch = 5 * p.q_row + 4, p.k_batch = 9 * p.k_row + 2, p.v_batch = 9 * p.v_row + 6, p.out_batch = 5 * p.out_row + 2;
  check(p, "padded strides (even: 64-bit loads)");
  p.q_row += 1, p.k_row += 3, p.v_row += 1;  // odd strides: the Cpu variant falls back to 32-bit loads
  check(p, "padded strides (odd)");
}

TEST_CASE("attention: a fused q|k|v buffer with row stride 3*heads*d is read in place") {
  Problem p;
  p.fused_qkv = true;
  p.batch = 2, p.lq = p.lk = 11, p.heads = 3, p.d = 24;
  check(p, "fused qkv");
  p.mask = MaskKind::Causal;
  check(p, "fused qkv causal");
}

TEST_CASE("attention: beams share cross-attention K/V through kv_batch_divisor") {
  Problem p;
  p.batch = 3, p.kv_div = 3, p.lq = 1, p.lk = 17, p.heads = 2, p.d = 32;
  check(p, "3 beams, one image");
  p.batch = 4, p.kv_div = 2, p.lq = 2;
  check(p, "2 images x 2 beams");
  p.batch = 5, p.kv_div = 2;  // the last image has a single beam
  check(p, "ragged last image");
  // The Cpu kernel's rows are the (beam, query) pairs of one image: 4 beams x 7 queries = 28
  // rows span two 16-row subgroups, a subgroup mixes beams, and the causal mask follows each
  // row's own query position; the ragged last image has 2 beams (14 rows).
  p.batch = 6, p.kv_div = 4, p.lq = 7, p.lk = 23, p.d = 64;
  p.mask = MaskKind::Causal, p.causal_offset = 16;
  check(p, "4 beams x 7 queries, causal");
  p.probs = true;
  check(p, "4 beams x 7 queries, causal, probabilities");
}

TEST_CASE("attention: inputs of magnitude 1e4 and 1e-4") {
  Problem p;
  p.batch = 1, p.lq = 7, p.lk = 17, p.heads = 2, p.d = 64;
  p.v_magnitude = 1e4f;
  check(p, "v 1e4");
  p.v_magnitude = 1e-4f;
  check(p, "v 1e-4");
  p.v_magnitude = 1.0f;
  p.qk_magnitude = 1e-4f;  // scores near zero: almost uniform attention
  check(p, "q,k 1e-4");
  p.qk_magnitude = 8.0f;  // scores up to ~500: peaked softmax, large exponent range
  check(p, "q,k 8", 50.0);
}

TEST_CASE("attention: large shapes (577 tokens x 12 heads, 4096 keys)") {
  Problem p;
  p.lq = p.lk = 577, p.heads = 12, p.d = 64;
  for (vkcap::vk::KernelVariant variant : kernel_variants()) {
    const Result r = run(p, variant);
    expect_close(r.out, r.ref_out, out_tolerance(p), std::string("577x577 ") + variant_name(variant));
    CHECK(r.guards_ok);
  }
  Problem q;
  q.lq = 2, q.lk = 4096, q.heads = 2, q.d = 64, q.probs = true;
  check(q, "lk 4096");
}

TEST_CASE("attention: shape errors are reported") {
  vkcap::vk::Recorder rec(gpu());
  GuardedBuffer buf(64);
  GuardedBuffer out(64);
  AttentionArgs a;
  a.q = a.k = a.v = buf.ref();
  a.out = out.ref();
  a.lq = a.lk = 2, a.heads = 2, a.head_dim = 16;
  CHECK_NOTHROW(vkcap::kernels::record_attention(rec, a));
  a.head_dim = 129;
  CHECK_THROWS_AS(vkcap::kernels::record_attention(rec, a), vkcap::Error);
  a.head_dim = 16, a.lk = 5;  // k needs 5 rows of 32 floats (160 > 64 + the 64-float guard band)
  CHECK_THROWS_AS(vkcap::kernels::record_attention(rec, a), vkcap::Error);
  a.lk = 2, a.mask = MaskKind::KeyPadding;  // no key_valid
  CHECK_THROWS_AS(vkcap::kernels::record_attention(rec, a), vkcap::Error);
  a.mask = MaskKind::None, a.out = buf.ref();  // out aliases q
  CHECK_THROWS_AS(vkcap::kernels::record_attention(rec, a), vkcap::Error);
  rec.submit();
}

TEST_CASE("attention: the selftest's quick problems pass on both variants") {
  for (const vkcap::checks::NamedAttentionProblem& named : vkcap::checks::attention_quick_problems())
    check(named.problem, named.what, named.extra_tolerance);
}
