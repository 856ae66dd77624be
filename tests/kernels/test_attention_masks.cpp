// Fused attention masks: causal with a position offset (decoding against a growing cache),
// key padding, fully masked rows (torch's behaviour for both mask modes), probabilities.
#include <doctest/doctest.h>

#include <limits>

#include "test_attention_problem.h"

using namespace vkcap::test::attention;

namespace {
constexpr float kFp32Min = -std::numeric_limits<float>::max();  // torch.finfo(float32).min
}

TEST_CASE("attention: causal mask in both modes, with and without a position offset") { check_group("causal"); }

// Decoding: feeding query t alone (causal_offset = t) against the first t+1 cached keys gives
// row t of the full causal computation, for every t.
TEST_CASE("attention: step-by-step causal decoding equals full causal recomputation") {
  for (MaskMode mode : {MaskMode::Add, MaskMode::Replace})
    for (vkcap::vk::KernelVariant variant : kernel_variants())
      vkcap::test::expect_pass(vkcap::checks::check_attention_decode_steps(vkcap::test::check_run(), variant, mode));
}

TEST_CASE("attention: key padding per kv batch, shared by beams") { check_group("key padding"); }

// torch: with Replace, a row whose every score is finfo.min has max = finfo.min, so every
// exp(s − max) = 1: uniform attention (the output is the mean of V). With Add, every score is
// shifted by the same −10000 (up to fp32 rounding of s − 10000), so the row is ≈ the unmasked
// softmax — the reference rounds exactly like torch's fp32 add.
TEST_CASE("attention: fully masked rows behave as in torch") {
  Problem p;
  p.batch = 2, p.kv_div = 1, p.lq = 2, p.lk = 7, p.heads = 2, p.d = 16, p.probs = true;
  p.mask = MaskKind::KeyPadding;
  p.key_valid.assign(size_t(2) * 7, 1.0f);
  for (int j = 0; j < 7; ++j) p.key_valid[j] = 0.0f;  // batch 0: nothing to attend to
  p.mode = MaskMode::Replace, p.masked_value = kFp32Min;
  for (vkcap::vk::KernelVariant variant : kernel_variants()) {
    const Result r = run(p, variant);
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 7; ++j) CHECK(r.probs[((0 * 2 + h) * 2 + i) * 7 + j] == doctest::Approx(1.0 / 7).epsilon(1e-6));
  }
  check_group("all masked");  // these rows, the Add mode, and a causal row with no key at all
}

TEST_CASE("attention: probabilities sum to 1 per row and match the reference") {
  Problem p;
  p.batch = 2, p.lq = 7, p.lk = 64, p.heads = 3, p.d = 32, p.probs = true, p.qk_magnitude = 3.0f;
  check(p, "probs");
  for (vkcap::vk::KernelVariant variant : kernel_variants()) {
    const Result r = run(p, variant);
    for (size_t row = 0; row < r.probs.size() / 64; ++row) {
      double sum = 0;
      for (int j = 0; j < 64; ++j) sum += r.probs[row * 64 + j];
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    }
  }
}
