#include "checks/davit_checks.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "checks/guarded_buffer.h"
#include "kernels/channel_attention.h"
#include "kernels/linear_host.h"
#include "kernels/window_attention_host.h"
#include "kernels/window_attention.h"

namespace vkcap::checks {

using kernels::ConvShape;
using kernels::ImageLayout;
using kernels::WindowGrid;

namespace {

const char* variant_name(vk::KernelVariant v) { return v == vk::KernelVariant::Cpu ? "cpu" : "gpu"; }

std::vector<double> reference_window_attention(const std::vector<float>& x, const WindowGrid& g, int c, int heads,
                                               const std::vector<float>& w, const std::vector<float>& b) {
  const int ws = g.window, area = ws * ws, hd = c / heads;
  std::vector<double> out(size_t(g.height) * g.width * c, 0.0);
  for (int wy = 0; wy < g.windows_y(); ++wy)
    for (int wx = 0; wx < g.windows_x(); ++wx) {
      // qkv of every row of the padded window; padding rows are zero input.
      std::vector<double> qkv(size_t(area) * 3 * c);
      for (int r = 0; r < area; ++r) {
        const int y = wy * ws + r / ws, xx = wx * ws + r % ws;
        const bool inside = y < g.height && xx < g.width;
        for (int o = 0; o < 3 * c; ++o) {
          double acc = b[o];
          if (inside)
            for (int i = 0; i < c; ++i) acc += double(w[size_t(o) * c + i]) * x[(size_t(y) * g.width + xx) * c + i];
          qkv[size_t(r) * 3 * c + o] = acc;
        }
      }
      for (int r = 0; r < area; ++r) {
        const int y = wy * ws + r / ws, xx = wx * ws + r % ws;
        if (y >= g.height || xx >= g.width) continue;
        for (int h = 0; h < heads; ++h) {
          std::vector<double> s(area);
          double m = -1e300;
          for (int j = 0; j < area; ++j) {
            double dot = 0;
            for (int e = 0; e < hd; ++e) dot += qkv[size_t(r) * 3 * c + h * hd + e] * qkv[size_t(j) * 3 * c + c + h * hd + e];
            s[j] = dot / std::sqrt(double(hd));
            m = std::max(m, s[j]);
          }
          double sum = 0;
          for (double& v : s) sum += (v = std::exp(v - m));
          for (int e = 0; e < hd; ++e) {
            double acc = 0;
            for (int j = 0; j < area; ++j) acc += s[j] * qkv[size_t(j) * 3 * c + 2 * c + h * hd + e];
            out[(size_t(y) * g.width + xx) * c + h * hd + e] = acc / sum;
          }
        }
      }
    }
  return out;
}

std::vector<double> reference_channel_attention(const std::vector<float>& qkv, int n, int c, int groups, int stride) {
  const int dg = c / groups;
  std::vector<double> out(size_t(n) * c);
  const double scale = std::pow(double(n), -0.5);
  for (int g = 0; g < groups; ++g) {
    std::vector<double> a(size_t(dg) * dg);
    for (int i = 0; i < dg; ++i) {
      double m = -1e300;
      for (int j = 0; j < dg; ++j) {
        double s = 0;
        for (int t = 0; t < n; ++t)
          s += double(qkv[size_t(t) * stride + g * dg + i]) * scale * qkv[size_t(t) * stride + c + g * dg + j];
        a[size_t(i) * dg + j] = s;
        m = std::max(m, s);
      }
      double sum = 0;
      for (int j = 0; j < dg; ++j) sum += (a[size_t(i) * dg + j] = std::exp(a[size_t(i) * dg + j] - m));
      for (int j = 0; j < dg; ++j) a[size_t(i) * dg + j] /= sum;
    }
    for (int t = 0; t < n; ++t)
      for (int i = 0; i < dg; ++i) {
        double acc = 0;
        for (int j = 0; j < dg; ++j) acc += a[size_t(i) * dg + j] * qkv[size_t(t) * stride + 2 * c + g * dg + j];
        out[size_t(t) * c + g * dg + i] = acc;
      }
  }
  return out;
}

// Input element (c, y, x) of either layout.
float at(const std::vector<float>& in, const ConvShape& s, int c, int y, int x) {
  if (y < 0 || x < 0 || y >= s.height || x >= s.width) return 0.0f;
  return s.layout == ImageLayout::Chw ? in[(size_t(c) * s.height + y) * s.width + x]
                                      : in[(size_t(y) * s.width + x) * s.channels + c];
}

// Direct Conv2d, output as token rows [oh·ow, out].
std::vector<double> reference_conv(const std::vector<float>& in, const ConvShape& s, const std::vector<float>& w,
                                   const std::vector<float>& b, int out) {
  const int oh = s.out_height(), ow = s.out_width(), k = s.kernel;
  std::vector<double> y;
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int o = 0; o < out; ++o) {
        double acc = b[o];
        for (int c = 0; c < s.channels; ++c)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
              acc += double(w[((size_t(o) * s.channels + c) * k + ky) * k + kx]) *
                     at(in, s, c, oy * s.stride + ky - s.padding, ox * s.stride + kx - s.padding);
        y.push_back(acc);
      }
  return y;
}

std::string describe(const ConvShape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width) + " k" +
         std::to_string(s.kernel) + " s" + std::to_string(s.stride) + " p" + std::to_string(s.padding) +
         (s.layout == ImageLayout::Chw ? " chw" : " hwc");
}

std::vector<double> reference_depthwise(const std::vector<float>& x, const std::vector<float>& w,
                                        const std::vector<float>& b, int h, int wd, int c, int k, bool add) {
  std::vector<double> y(size_t(h) * wd * c);
  const int pad = k / 2;
  for (int yy = 0; yy < h; ++yy)
    for (int xx = 0; xx < wd; ++xx)
      for (int ch = 0; ch < c; ++ch) {
        double acc = b[ch];
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = yy + ky - pad, ix = xx + kx - pad;
            if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
            acc += double(w[(size_t(ch) * k + ky) * k + kx]) * x[(size_t(iy) * wd + ix) * c + ch];
          }
        const size_t o = (size_t(yy) * wd + xx) * c + ch;
        y[o] = acc + (add ? x[o] : 0.0);
      }
  return y;
}

}  // namespace

std::vector<WindowAttentionCase> window_attention_cases() {
  return {
      {5, 7, 4, 12, 3, 0},   // pads right and bottom
      {8, 8, 4, 16, 2, 0},   // exact multiple: no padding
      {1, 1, 3, 4, 1, 0},    // one token among 8 padding rows
      {6, 4, 4, 8, 2, 0},    // pads the bottom only (fixture a's stage 3: 6 → 8 with window 4)
      {3, 3, 4, 16, 4, 0},   // smaller than one window (fixture a's stage 4)
      {11, 6, 5, 6, 2, 2},   // 3×2 windows run two at a time
      {13, 9, 4, 10, 5, 5},  // 4×3 windows in chunks of 5: the last chunk is short
  };
}

CheckResult check_window_attention(const CheckRun& run, vk::KernelVariant variant, const WindowAttentionCase& tc,
                                   bool on_host) {
  const WindowGrid g{tc.height, tc.width, tc.window};
  const int c = tc.channels;
  CheckResult r;
  r.family = "window_attention";
  r.variant = on_host ? "host sgemm" : variant_name(variant);
  r.shape = std::to_string(tc.height) + "x" + std::to_string(tc.width) + " window " + std::to_string(tc.window) +
            " C " + std::to_string(c) + " heads " + std::to_string(tc.heads) + " chunk " + std::to_string(tc.chunk);
  const auto x = random_values(size_t(g.height) * g.width * c, 31 + c, -2.0f, 2.0f);
  const auto w = random_values(size_t(3) * c * c, 32);
  const auto b = random_values(size_t(3) * c, 33, -1.0f, 1.0f);
  kernels::PackedWeight qkv =
      on_host ? kernels::pack_linear_host(w.data(), b.data(), 3 * c, c, kernels::WeightLayout::OutIn,
                                          kernels::WeightType::F32)
              : kernels::pack_linear(run.ctx, w.data(), b.data(), 3 * c, c, kernels::WeightLayout::OutIn,
                                     kernels::WeightType::F32, variant);
  const int chunk = tc.chunk ? tc.chunk : g.windows();
  const uint64_t rows = uint64_t(chunk) * g.window_area();
  const uint64_t tokens = uint64_t(g.height) * g.width;  // the host path's qkv holds every token
  vk::Buffer window_rows = run.ctx.create_buffer(rows * c * 4);
  vk::Buffer window_qkv = run.ctx.create_buffer(std::max(rows, on_host ? tokens : 0) * 3 * c * 4);
  GuardedBuffer xb(run.ctx, x), out(run.ctx, x.size(), 7.0f);
  kernels::WindowAttentionArgs args{.x = xb.ref(), .grid = g, .channels = c, .heads = tc.heads, .qkv = &qkv,
                                    .out = out.ref(), .window_rows = window_rows, .window_qkv = window_qkv};
  if (on_host)
    r.require(kernels::window_attention_on_host(args), "takes the host path");
  else
    r.require(kernels::window_attention_chunk(args) == std::min(chunk, g.windows()), "windows per chunk");
  vk::Recorder rec(run.ctx);
  kernels::record_window_attention(rec, args);
  r.require(rec.host_step_count() == (on_host ? 2u : 0u), on_host ? "qkv and attention on the host" : "no host step");
  rec.submit();
  run.compare(r, out.read(), reference_window_attention(x, g, c, tc.heads, w, b),
              Tolerance::for_reduction(size_t(c) * g.window_area()), "window attention");
  r.require(out.guards_intact(), "guard bands overwritten");
  return r;
}

std::vector<ChannelAttentionCase> channel_attention_cases() {
  return {{1, 4, 1, 0, 1.0f}, {7, 12, 3, 0, 2.0f}, {37, 30, 5, 5, 3.0f}, {576, 64, 2, 0, 3.0f},
          {5, 256, 1, 0, 2.0f}, {131, 96, 12, 1, 4.0f}};
}

CheckResult check_channel_attention(const CheckRun& run, const ChannelAttentionCase& tc, bool on_host) {
  const int n = tc.tokens, c = tc.channels, stride = 3 * c + tc.extra_stride;
  CheckResult r;
  r.family = "channel_attention";
  r.variant = on_host ? "host sgemm" : "shaders";
  r.shape = "N " + std::to_string(n) + " C " + std::to_string(c) + " groups " + std::to_string(tc.groups) +
            " stride " + std::to_string(stride);
  const auto qkv = random_values(size_t(n) * stride, 41 + n, -tc.range, tc.range);
  GuardedBuffer q(run.ctx, qkv), attn(run.ctx, size_t(c) * (c / tc.groups)), out(run.ctx, size_t(n) * c);
  vk::Recorder rec(run.ctx);
  kernels::record_channel_attention(rec, {.qkv = q.ref(), .tokens = n, .channels = c, .groups = tc.groups,
                                          .qkv_stride = stride, .attn = attn.ref(), .out = out.ref(),
                                          .on_host = on_host});
  rec.submit();
  run.compare(r, out.read(), reference_channel_attention(qkv, n, c, tc.groups, stride),
              Tolerance::for_reduction(size_t(n) + c / tc.groups), "channel attention");
  r.require(out.guards_intact() && attn.guards_intact(), "guard bands overwritten");
  // Every attention row is a distribution (A is stored [Dg, C]: row (g, i) is column g·Dg + i).
  const std::vector<float> a = attn.read();
  const int dg = c / tc.groups;
  for (int row = 0; row < c; ++row) {
    double sum = 0;
    for (int j = 0; j < dg; ++j) sum += a[size_t(j) * c + row];
    if (std::abs(sum - 1.0) >= 1e-5) {
      r.require(false, "attention row " + std::to_string(row) + " sums to " + std::to_string(sum));
      break;
    }
  }
  return r;
}

std::vector<Conv2dCase> conv2d_cases() {
  return {
      {{3, 23, 17, 7, 4, 3, ImageLayout::Chw}, 5, 1000},  // DaViT stage 0 on a prime-sized image, one block
      {{3, 23, 17, 7, 4, 3, ImageLayout::Chw}, 5, 7},     // the same in blocks of 7 rows (last one short)
      {{5, 13, 11, 3, 2, 1, ImageLayout::Hwc}, 7, 4},     // stages 1-3 on token rows, 4-row blocks
      {{4, 1, 1, 3, 2, 1, ImageLayout::Hwc}, 3, 1},       // a 1×1 grid: only the centre tap is inside
      {{2, 2, 9, 3, 2, 1, ImageLayout::Hwc}, 1, 2},
      {{3, 8, 8, 4, 4, 0, ImageLayout::Chw}, 6, 3},       // kernel = stride, no padding (the ViT case)
  };
}

CheckResult check_conv2d(const CheckRun& run, vk::KernelVariant variant, const Conv2dCase& tc, bool on_host) {
  const ConvShape& s = tc.shape;
  CheckResult r;
  r.family = "conv2d";
  r.variant = on_host ? "host sgemm" : variant_name(variant);
  r.shape = describe(s) + " out " + std::to_string(tc.out) + ", blocks of " + std::to_string(tc.scratch_rows);
  const auto input = random_values(size_t(s.channels) * s.height * s.width, 11 + s.kernel);
  const auto weight = random_values(size_t(tc.out) * s.patch_len(), 12);
  const auto bias = random_values(tc.out, 13);
  const auto matrix = kernels::conv_weight_as_linear(weight.data(), tc.out, s.channels, s.kernel, s.layout);
  kernels::PackedWeight packed =
      on_host ? kernels::pack_linear_host(matrix.data(), bias.data(), tc.out, int(s.patch_len()),
                                          kernels::WeightLayout::OutIn, kernels::WeightType::F32)
              : kernels::pack_linear(run.ctx, matrix.data(), bias.data(), tc.out, int(s.patch_len()),
                                     kernels::WeightLayout::OutIn, kernels::WeightType::F32, variant);
  const size_t positions = size_t(s.out_height()) * s.out_width();
  GuardedBuffer in(run.ctx, input), y(run.ctx, positions * tc.out);
  r.require(kernels::conv2d_block_rows(run.ctx.info(), s, tc.scratch_rows * s.patch_len()) ==
                int(std::min<uint64_t>(tc.scratch_rows, positions)),
            "rows per block");
  vk::Recorder rec(run.ctx);
  // The scratch is used to the end of its buffer, so it gets an exact-size buffer, not guards.
  vk::Buffer scratch = run.ctx.create_buffer((tc.scratch_rows * s.patch_len()) * 4);
  kernels::record_conv2d(rec, {.input = in.ref(), .shape = s, .w = &packed, .y = y.ref(), .scratch = scratch});
  const size_t block = std::min<size_t>(tc.scratch_rows, positions), blocks = (positions + block - 1) / block;
  r.require(rec.host_step_count() == (on_host ? 2 * blocks : 0u), "patches and products on the host where asked");
  rec.submit();
  run.compare(r, y.read(), reference_conv(input, s, weight, bias, tc.out),
              Tolerance::for_reduction(size_t(s.patch_len())), "conv2d");
  r.require(y.guards_intact() && in.guards_intact(), "guard bands overwritten");
  return r;
}

std::vector<DepthwiseCase> depthwise_cases() {
  return {{1, 1, 1, 3, true}, {5, 7, 3, 3, true}, {13, 1, 17, 3, false}, {6, 6, 64, 3, true},
          {7, 5, 11, 5, true}, {24, 24, 16, 3, true}};
}

CheckResult check_depthwise(const CheckRun& run, const DepthwiseCase& tc, bool on_host) {
  CheckResult r;
  r.family = "depthwise_conv";
  r.variant = on_host ? "host" : "shader";
  r.shape = std::to_string(tc.h) + "x" + std::to_string(tc.w) + "x" + std::to_string(tc.c) + " k" +
            std::to_string(tc.k) + (tc.add ? " +x" : "");
  const size_t n = size_t(tc.h) * tc.w * tc.c;
  const auto x = random_values(n, 21 + tc.c);
  const auto w = random_values(size_t(tc.c) * tc.k * tc.k, 22);
  const auto b = random_values(tc.c, 23);
  GuardedBuffer xb(run.ctx, x), wb(run.ctx, w), bb(run.ctx, b), y(run.ctx, n);
  vk::Recorder rec(run.ctx);
  kernels::record_depthwise_conv(rec, {.x = xb.ref(), .weight = wb.ref(), .bias = bb.ref(), .y = y.ref(),
                                       .height = tc.h, .width = tc.w, .channels = tc.c, .kernel = tc.k,
                                       .add_input = tc.add, .on_host = on_host});
  r.require(rec.host_step_count() == (on_host ? 1u : 0u), "host step where asked, none elsewhere");
  rec.submit();
  run.compare(r, y.read(), reference_depthwise(x, w, b, tc.h, tc.w, tc.c, tc.k, tc.add),
              Tolerance::for_reduction(size_t(tc.k) * tc.k), "depthwise");
  r.require(y.guards_intact(), "guard bands overwritten");
  return r;
}

}  // namespace vkcap::checks
