#include "kernels/host_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/host_pool.h"
#include "kernels/linear_host.h"

namespace vkcap::kernels {

namespace {

// Runs body(first, end) over [0, count) in about four blocks per pool thread.
template <typename Body>
void in_blocks(int64_t count, const Body& body) {
  HostPool& pool = HostPool::instance();
  const int64_t per = std::max<int64_t>(1, (count + 4 * pool.threads() - 1) / (4 * pool.threads()));
  const int blocks = int((count + per - 1) / per);
  pool.run(blocks, [&](int b) { body(b * per, std::min(count, (b + 1) * per)); });
}

}  // namespace

void record_conv_patches_host(vk::Recorder& rec, BufferRef input, const ConvShape& s, BufferRef patches,
                              int first_row, int rows) {
  const float* in = mapped_floats(input);
  float* out = mapped_floats(patches);
  rec.host("host_conv_patches", [=] {
    const int gw = s.out_width(), k = s.kernel, c_count = s.channels;
    const int64_t row_len = s.patch_len();
    in_blocks(rows, [&](int64_t first, int64_t end) {
      for (int64_t r = first; r < end; ++r) {
        const int64_t position = first_row + r;
        const int oy = int(position / gw), ox = int(position % gw);
        float* dst = out + r * row_len;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int y = oy * s.stride + ky - s.padding, x = ox * s.stride + kx - s.padding;
            const bool inside = y >= 0 && y < s.height && x >= 0 && x < s.width;
            for (int c = 0; c < c_count; ++c) {
              const float v = !inside ? 0.0f
                              : s.layout == ImageLayout::Hwc
                                  ? in[(int64_t(y) * s.width + x) * c_count + c]
                                  : in[(int64_t(c) * s.height + y) * s.width + x];
              dst[s.layout == ImageLayout::Hwc ? (ky * k + kx) * c_count + c : (c * k + ky) * k + kx] = v;
            }
          }
      }
    });
  });
}

void record_depthwise_conv_host(vk::Recorder& rec, const DepthwiseConvArgs& a) {
  const float* x = mapped_floats(a.x);
  const float* weight = mapped_floats(a.weight);
  const float* bias = mapped_floats(a.bias);
  float* y = mapped_floats(a.y);
  rec.host("host_depthwise_conv", [=] {
    const int c_count = a.channels, k = a.kernel, pad = k / 2;
    // Taps first ([k·k, C]) so that the inner loop runs along contiguous channels.
    std::vector<float> taps(size_t(k) * k * c_count);
    for (int c = 0; c < c_count; ++c)
      for (int t = 0; t < k * k; ++t) taps[size_t(t) * c_count + c] = weight[size_t(c) * k * k + t];
    in_blocks(a.height, [&](int64_t first, int64_t end) {
      std::vector<float> sum(c_count);
      for (int64_t h = first; h < end; ++h)
        for (int w = 0; w < a.width; ++w) {
          std::copy(bias, bias + c_count, sum.begin());
          for (int ky = 0; ky < k; ++ky) {
            const int64_t yy = h + ky - pad;
            if (yy < 0 || yy >= a.height) continue;
            for (int kx = 0; kx < k; ++kx) {
              const int xx = w + kx - pad;
              if (xx < 0 || xx >= a.width) continue;
              const float* in = x + (yy * a.width + xx) * c_count;
              const float* tap = &taps[size_t(ky * k + kx) * c_count];
              for (int c = 0; c < c_count; ++c) sum[c] += tap[c] * in[c];
            }
          }
          const float* self = x + (h * a.width + w) * c_count;
          float* out = y + (h * a.width + w) * c_count;
          for (int c = 0; c < c_count; ++c) out[c] = a.add_input ? self[c] + sum[c] : sum[c];
        }
    });
  });
}

void record_layer_norm_host(vk::Recorder& rec, const LayerNormArgs& a) {
  const float* x = mapped_floats(a.x);
  const float* residual = a.residual.buffer ? mapped_floats(a.residual) : nullptr;
  const float* gamma = mapped_floats(a.gamma);
  const float* beta = mapped_floats(a.beta);
  float* y = mapped_floats(a.y);
  const LayerNormArgs args = a;
  rec.host("host_layer_norm", [=] {
    const int d = args.d;
    in_blocks(args.rows, [&](int64_t first, int64_t end) {
      std::vector<float> v(d);
      for (int64_t r = first; r < end; ++r) {
        const float* xr = x + r * args.x_stride;
        const float* rr = residual ? residual + r * args.residual_stride : nullptr;
        for (int i = 0; i < d; ++i) v[i] = rr ? xr[i] + rr[i] : xr[i];
        // Two passes (mean, then the biased variance), as torch.nn.LayerNorm; the sums in double.
        double sum = 0;
        for (int i = 0; i < d; ++i) sum += v[i];
        const float mean = float(sum / d);
        double squares = 0;
        for (int i = 0; i < d; ++i) squares += double(v[i] - mean) * (v[i] - mean);
        const float inverse = 1.0f / std::sqrt(float(squares / d) + args.eps);
        float* yr = y + r * args.y_stride;
        for (int i = 0; i < d; ++i) yr[i] = (v[i] - mean) * inverse * gamma[i] + beta[i];
      }
    });
  });
}

}  // namespace vkcap::kernels
