// DaViT channel attention against an fp64 transcription of Microsoft's ChannelAttention
// (without the output projection): qkv reshaped to (N, 3, groups, C/groups), q scaled by N^-1/2,
// A = softmax(qᵀk) per group over its last axis, out = (A·vᵀ)ᵀ. Awkward shapes: one token, one
// group, prime token counts and group sizes, the 256-channel group limit, padded row strides.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/gpu/guarded.h"
#include "common/gpu/harness.h"
#include "checks/davit_checks.h"
#include "checks/ops_checks.h"
#include "kernels/channel_attention.h"
#include "kernels/linear_host.h"
#include "kernels/ops.h"

using namespace vkcap;
using test::GuardedBuffer;

TEST_CASE("channel attention matches the reference on awkward shapes, shaders and host sgemms") {
  for (const checks::ChannelAttentionCase& tc : checks::channel_attention_cases())
    test::expect_pass(checks::check_channel_attention(test::check_run(), tc));
  REQUIRE(kernels::host_products_enabled(test::gpu()));  // lavapipe: the host path exists here
  for (const checks::ChannelAttentionCase& tc : checks::channel_attention_cases())
    test::expect_pass(checks::check_channel_attention(test::check_run(), tc, true));
}

TEST_CASE("channel attention refuses groups it cannot hold and aliasing outputs") {
  GuardedBuffer qkv(3 * 300 * 2), attn(300 * 300), out(300 * 2);
  vk::Recorder rec(test::gpu());
  CHECK_THROWS_WITH(kernels::record_channel_attention(rec, {.qkv = qkv.ref(), .tokens = 2, .channels = 300,
                                                            .groups = 1, .attn = attn.ref(), .out = out.ref()}),
                    doctest::Contains("300 channels per group exceed"));
  CHECK_THROWS_WITH(kernels::record_channel_attention(rec, {.qkv = qkv.ref(), .tokens = 2, .channels = 30,
                                                            .groups = 4, .attn = attn.ref(), .out = out.ref()}),
                    doctest::Contains("not divisible by groups 4"));
  CHECK_THROWS_WITH(kernels::record_channel_attention(rec, {.qkv = qkv.ref(), .tokens = 2, .channels = 30,
                                                            .groups = 3, .attn = attn.ref(),
                                                            .out = kernels::BufferRef(qkv.buffer(), 200)}),
                    doctest::Contains("must not share a buffer"));
}

TEST_CASE("column means of rows, compensated: large values over many rows") {
  for (const checks::MeanRowsShape& s : checks::mean_rows_shapes())
    test::expect_pass(checks::check_mean_rows(test::check_run(), s));
}
