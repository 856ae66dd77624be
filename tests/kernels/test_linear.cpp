// linear kernels (src/kernels/linear.h): every path (gpu; cpu reading the weights by address and
// as texels), fp32 / fp16 weights, both weight layouts, the fused epilogue (bias, GELU erf / tanh,
// residual) against a plain double reference. The cases, references and error budgets live in
// the check library (src/checks/linear_checks.h), which `vkcap selftest` runs too.
#include <doctest/doctest.h>

#include <bit>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "checks/linear_checks.h"
#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "kernels/linear.h"
#include "kernels/linear_host.h"
#include "kernels/linear_half.h"
#include "util/error.h"

namespace vkcap::test {
namespace {

using checks::LinearCase;
using checks::LinearPath;
using kernels::Activation;
using kernels::WeightFetch;
using kernels::WeightLayout;
using kernels::WeightType;
using vk::KernelVariant;

std::vector<LinearPath> paths() { return checks::linear_paths(gpu().info()); }
void run(const std::vector<LinearCase>& cases) { expect_pass(checks::run_linear_cases(check_run(), cases)); }

}  // namespace

TEST_CASE("linear: every M, N, K edge (rows, panels, k blocks) matches the reference, fp32 and fp16") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run(checks::linear_edge_cases(path, type));
}

TEST_CASE("linear: matrix-vector path (m <= 8) over odd panel counts, K tails and every row count") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run(checks::linear_matvec_cases(path, type));
}

TEST_CASE("linear: decode-sized matrix-vector 3x2304x768 (GPT-2 c_attn, a beam of 3)") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run({checks::linear_decode_case(path, type)});
}

TEST_CASE("linear: on lavapipe the Cpu kernels read weights the way the probe's table chose") {
  // A probe that stopped finding the texel formats would silently lose the texel path (the fast
  // one at 256 bits) and skip its tests above.
  if (gpu().info().driver_name != "llvmpipe") return;
  REQUIRE(gpu().info().texel_formats);
  CHECK_FALSE(gpu().info().weight_fetch_reason.empty());
  std::vector<float> w(static_cast<size_t>(40) * 9, 0.25f);
  const kernels::PackedWeight p = kernels::pack_linear(gpu(), w.data(), nullptr, 40, 9, WeightLayout::OutIn, WeightType::F32);
  CHECK(p.variant == KernelVariant::Cpu);
  CHECK(p.fetch == (gpu().info().texel_weights ? WeightFetch::Texels : WeightFetch::Addresses));
}

TEST_CASE("linear: Cpu packing gives each lane its own stream, skewed by one cache line") {
  if (!gpu().info().supports_cpu_variant() || gpu().info().subgroup_size < 8) return;
  std::vector<float> w(static_cast<size_t>(70) * 13, 0.5f);
  for (WeightType type : {WeightType::F32, WeightType::F16}) {
    const kernels::PackedWeight p =
        kernels::pack_linear(gpu(), w.data(), nullptr, 70, 13, WeightLayout::OutIn, type, KernelVariant::Cpu);
    const int element_bytes = type == WeightType::F16 ? 2 : 4;
    CHECK(p.k_padded == 16);
    CHECK(p.panel_width == 4 * static_cast<int>(gpu().info().subgroup_size));
    CHECK(p.lane_stride * element_bytes == 4 * p.k_padded * element_bytes + 64);
    const int panels = (70 + p.panel_width - 1) / p.panel_width;
    CHECK(p.weight.size() >= static_cast<uint64_t>(panels) * (p.panel_width / 4) * p.lane_stride * element_bytes);
  }
}

TEST_CASE("linear: both weight layouts, padded strides, and the fused epilogue") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run(checks::linear_epilogue_cases(path, type));
}

TEST_CASE("linear: large and tiny magnitudes (x ±1e4 with w ±1e-4 and the reverse)") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run(checks::linear_magnitude_cases(path, type));
}

TEST_CASE("linear: long reductions stay within a budget that grows with sqrt(K)") {
  const Tolerance short_k = Tolerance::for_reduction(64), long_k = Tolerance::for_reduction(3072);
  CHECK(long_k.abs > short_k.abs * 6.9);  // √(3072/64) ≈ 6.93
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run(checks::linear_long_k_cases(path, type));
}

TEST_CASE("linear: wide products in column blocks and tall ones in row blocks (the host split)") {
  for (const LinearPath& path : paths())
    for (WeightType type : {WeightType::F32, WeightType::F16}) run(checks::linear_block_split_cases(path, type));
}

TEST_CASE("linear: an encoder weight kept for host products names the device's kernel family") {
  // The layer's other kernels (window attention) take their family from the weight; a host
  // weight once said Gpu on every device, which sent lavapipe to the GPU-shaped attention.
  const std::vector<float> w(6 * 4, 0.5f), b(6, 0.1f);
  const kernels::PackedWeight packed = kernels::pack_linear_for_encoder(
      gpu(), w.data(), b.data(), 6, 4, kernels::WeightLayout::OutIn, kernels::WeightType::F32);
  REQUIRE(kernels::host_products_enabled(gpu()));  // lavapipe: the weight lives on the host
  CHECK(packed.host != nullptr);
  CHECK(packed.variant == gpu().info().preferred_variant());
}

TEST_CASE("linear: encoder-sized 197x768x768 with GELU and residual") {
  for (const LinearPath& path : paths()) run({checks::linear_encoder_case(path)});
}

TEST_CASE("linear: GELU erf keeps its accuracy across the range, tails included") {
  for (const LinearPath& path : paths())
    for (Activation act : {Activation::GeluErf, Activation::GeluTanh})
      expect_pass(checks::run_linear_gelu_sweep(check_run(), path, act));
}

TEST_CASE("linear: shape errors name the operand") {
  std::vector<float> w(6, 1.0f);
  kernels::PackedWeight packed =
      kernels::pack_linear(gpu(), w.data(), nullptr, 2, 3, WeightLayout::OutIn, WeightType::F32, KernelVariant::Gpu);
  vk::Buffer x = gpu().create_buffer(5 * sizeof(float)), y = gpu().create_buffer(4 * sizeof(float));
  vk::Recorder rec(gpu());
  kernels::LinearArgs args;
  args.w = &packed, args.x = kernels::BufferRef(x), args.m = 2, args.y = kernels::BufferRef(y);
  CHECK_THROWS_WITH_AS(kernels::record_linear(rec, args), doctest::Contains("x needs 6 floats"), Error);
  args.m = 1, args.x_stride = 2;
  CHECK_THROWS_WITH_AS(kernels::record_linear(rec, args), doctest::Contains("x row stride 2"), Error);
  args.x_stride = 0, args.m = 0;
  CHECK_THROWS_AS(kernels::record_linear(rec, args), Error);
  CHECK_THROWS_AS(kernels::pack_linear(gpu(), w.data(), nullptr, 0, 3, WeightLayout::OutIn, WeightType::F32), Error);
}

TEST_CASE("linear: fp16 packing rounds to nearest even") {
  CHECK(kernels::float_to_half(1.0f) == 0x3c00);
  CHECK(kernels::float_to_half(65504.0f) == 0x7bff);
  CHECK(kernels::float_to_half(65520.0f) == 0x7c00);
  CHECK(kernels::float_to_half(-0.0f) == 0x8000);
  CHECK(kernels::float_to_half(1.0f + 1.0f / 2048) == 0x3c00);      // tie → even
  CHECK(kernels::float_to_half(1.0f + 3.0f / 2048) == 0x3c02);      // tie → even (up)
  CHECK(kernels::float_to_half(5.9604644775390625e-8f) == 0x0001);  // smallest subnormal
  CHECK(kernels::float_to_half(2.98023223876953125e-8f) == 0x0000); // half of it: tie → 0
  for (uint32_t h = 0; h < 0x7c00; ++h)
    REQUIRE(kernels::float_to_half(kernels::half_to_float(static_cast<uint16_t>(h))) == h);
}

TEST_CASE("linear: the vectorised widening equals half_to_float for all 65,536 halves, bit for bit") {
  // 65,536 + 5 values: the instruction paths' tails (n not a multiple of 8 or 16) run too.
  std::vector<uint16_t> halves(65536 + 5);
  for (uint32_t h = 0; h < halves.size(); ++h) halves[h] = static_cast<uint16_t>(h * 40503u);
  std::vector<kernels::HalfWidening> ways = kernels::half_widenings_on_this_cpu();
  ways.push_back({"chosen", kernels::halves_to_floats});
  CHECK(ways.size() >= 2);
  for (const kernels::HalfWidening& way : ways) {
    CAPTURE(way.name);
    std::vector<float> widened(halves.size());
    way.widen(halves.data(), widened.data(), halves.size());
    for (size_t i = 0; i < halves.size(); ++i)
      REQUIRE(std::bit_cast<uint32_t>(widened[i]) == std::bit_cast<uint32_t>(kernels::half_to_float(halves[i])));
  }
  CHECK(std::bit_cast<uint32_t>(kernels::half_to_float(0x7c01)) == 0x7fc02000u);  // a signalling NaN comes back quiet
}

}  // namespace vkcap::test

namespace vkcap::test {
namespace {

// The Gpu variant binds W [N, Kp] as a storage buffer; past maxStorageBufferRange (lavapipe and
// many mobile GPUs: 128 MiB; GPT-2's fp32 LM head is 154 MB) it must run in column windows.
TEST_CASE("linear: a Gpu-variant weight over maxStorageBufferRange runs in column windows") {
  const uint64_t limit = gpu().info().max_storage_buffer_range;
  if (limit > (256ull << 20)) return;  // devices with larger bindings never split
  const int k = 1024;
  const int n = int(limit / (uint64_t(k) * 4)) + 300;  // one full window and a ragged second one
  std::vector<float> w(size_t(n) * k), bias(n);
  for (int c = 0; c < n; ++c) {
    for (int i = 0; i < k; ++i) w[size_t(c) * k + i] = float((c * 7 + i * 3) % 11) * 0.125f - 0.625f;
    bias[c] = float(c % 13);
  }
  const kernels::PackedWeight packed = kernels::pack_linear(gpu(), w.data(), bias.data(), n, k, WeightLayout::OutIn,
                                                            WeightType::F32, KernelVariant::Gpu);
  REQUIRE(packed.weight.size() > limit);
  for (int m : {1, 9}) {  // matrix-vector and matmul kernels
    CAPTURE(m);
    std::vector<float> x(size_t(m) * k), residual(size_t(m) * n);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 5) - 2);
    for (size_t i = 0; i < residual.size(); ++i) residual[i] = float(i % 3);
    GuardedBuffer xb(x), rb(residual), yb(size_t(m) * n);
    vk::Recorder rec(gpu());
    kernels::record_linear(rec, {.w = &packed, .x = xb.ref(), .m = m, .y = yb.ref(), .residual = rb.ref()});
    rec.submit();
    const std::vector<float> y = yb.read();
    CHECK(yb.guards_intact());
    // Every value is a multiple of 1/8 far below 2^24: the sums are exact in fp32.
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < n; ++c) {
        double want = bias[c] + residual[size_t(r) * n + c];
        for (int i = 0; i < k; ++i) want += double(x[size_t(r) * k + i]) * w[size_t(c) * k + i];
        REQUIRE_MESSAGE(y[size_t(r) * n + c] == float(want), "row " << r << " column " << c);
      }
  }
}

}  // namespace
}  // namespace vkcap::test

namespace vkcap::test {
namespace {

// A layer norm folded into the linear's input (decode steps: one dispatch instead of two) gives
// what layer norm then linear give, on every path: the Cpu matrix-vector kernel folds it, the
// Cpu matmul (m > 8) and the Gpu kernels run a layer-norm dispatch first. Both outputs — the
// linear's and the normalised rows — are checked against double references.
TEST_CASE("linear: a folded input layer norm equals layer norm then linear, with and without residual") {
  for (const LinearPath& path : checks::linear_paths(gpu().info()))
    for (WeightType type : {WeightType::F32, WeightType::F16})
      for (int m : {1, 2, 3, 8, 9})
        for (int k : {97, 768})
          for (bool with_residual : {false, true})
            expect_pass(checks::run_folded_norm_case(check_run(), {path, type, m, k, with_residual, false}));
}

TEST_CASE("linear: a folded norm whose output is scratch leaves it unwritten, and still normalises x") {
  for (const LinearPath& path : checks::linear_paths(gpu().info()))
    for (WeightType type : {WeightType::F32, WeightType::F16})
      for (int m : {1, 2, 3}) expect_pass(checks::run_folded_norm_case(check_run(), {path, type, m, 97, false, true}));
}

}  // namespace
}  // namespace vkcap::test
