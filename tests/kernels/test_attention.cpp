// Fused attention against a textbook double reference: shapes, layouts, batching. The problems
// and the reference: src/checks/attention_checks.h.
#include <doctest/doctest.h>

#include "test_attention_problem.h"
#include "util/error.h"

using namespace vkcap::test::attention;
using vkcap::kernels::AttentionArgs;
using vkcap::test::GuardedBuffer;
using vkcap::test::gpu;

TEST_CASE("attention: every head dim from 8 to 128 matches the reference") { check_group("head dims"); }

TEST_CASE("attention: query and key lengths 1, 2, 7, 17, 64 (self and cross)") { check_group("lengths"); }

TEST_CASE("attention: heads are split and merged through strides, padded rows untouched") { check_group("strides"); }

TEST_CASE("attention: a fused q|k|v buffer with row stride 3*heads*d is read in place") { check_group("fused"); }

TEST_CASE("attention: beams share cross-attention K/V through kv_batch_divisor") { check_group("beams"); }

TEST_CASE("attention: inputs of magnitude 1e4 and 1e-4") { check_group("magnitudes"); }

TEST_CASE("attention: large shapes (577 tokens x 12 heads, 4096 keys)") { check_group("large"); }

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

TEST_CASE("attention on the host (encoders on CPU devices): every mask-free problem without probabilities") {
  int checked = 0;
  for (const vkcap::checks::NamedAttentionProblem& named : vkcap::checks::attention_problems()) {
    if (named.problem.mask != MaskKind::None || named.problem.probs) continue;
    vkcap::checks::AttentionProblem p = named.problem;
    p.on_host = true;
    vkcap::test::expect_pass(vkcap::checks::check_attention(vkcap::test::check_run(), p, vkcap::vk::KernelVariant::Cpu,
                                                            named.what, named.extra_tolerance));
    ++checked;
  }
  CHECK(checked >= 5);
}

TEST_CASE("attention: the selftest's quick problems pass on both variants") {
  for (const vkcap::checks::NamedAttentionProblem& named : vkcap::checks::attention_quick_problems())
    check(named.problem, named.what, named.extra_tolerance);
}
