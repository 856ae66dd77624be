// Host matrix-vector products over the Cpu variant's packed weight (see matvec_host.h).
//
// The packed weight is a sequence of lane streams (kernels/linear.h): stream s holds columns
// 4s..4s+3 for every k, four values per k, K padded with zeros to k_padded. A task takes a run
// of streams; for each it multiplies 16 weights at a time (4 k steps × 4 columns) by the rows'
// inputs laid out the same way (each x[r][k] four times), so the inner loop is a plain 16-wide
// multiply-add per row that the compiler vectorises, and folds the four k phases at the end.
#include "kernels/matvec_host.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/host_epilogue.h"
#include "kernels/host_pool.h"
#include "kernels/linear_half.h"
#include "kernels/linear_host.h"
#include "util/error.h"

namespace vkcap::kernels {
namespace {

#define VKCAP_INLINE inline __attribute__((always_inline))

constexpr int kStreamsPerTask = 16;  // 64 columns: a few hundred tasks over a decoder layer
constexpr int kPieceChunks = 64;     // fp16 streams are widened 64 chunks (1024 weights) at a time

struct MatVec {
  const void* weight = nullptr;  // the packed weight (floats or halves)
  bool half = false;
  int m = 0, n = 0, k_padded = 0;
  int64_t lane_stride = 0;
  const float* expanded = nullptr;  // [m][k_padded·4]: x[r][k] at 4k..4k+3
  const float* bias = nullptr;
  const float* residual = nullptr;
  float* y = nullptr;
  int y_stride = 0, residual_stride = 0;
  Activation activation = Activation::None;
};

// 16 floats as one value: GCC keeps it in one AVX-512 register, two AVX2 ones or four SSE ones.
typedef float Lanes __attribute__((vector_size(64)));

VKCAP_INLINE void load(Lanes& v, const float* p) { __builtin_memcpy(&v, p, sizeof v); }

// acc[r] += the stream's 16-weight chunks [first, first + chunks) (widened, at w) times row r's
// expanded inputs; acc carries the partial sums from one piece of the stream to the next.
template <int M>
VKCAP_INLINE void accumulate(const MatVec& p, const float* w, int first, int chunks, Lanes (&acc)[M]) {
  const size_t row = size_t(p.k_padded) * 4;
  const float* x = p.expanded + size_t(first) * 16;
  for (int c = 0; c < chunks; ++c) {
    Lanes wc, xc;
    load(wc, w + size_t(c) * 16);
    for (int r = 0; r < M; ++r) {
      load(xc, x + r * row + size_t(c) * 16);
      acc[r] += wc * xc;
    }
  }
}

// The 4 columns of one stream for every row: out[r·out_stride + c].
template <int M>
VKCAP_INLINE void stream_product(const MatVec& p, int stream, float* out, int out_stride) {
  Lanes acc[M] = {};
  const int chunks = p.k_padded / 4;  // k_padded is a multiple of 8
  if (p.half) {
    const uint16_t* w = static_cast<const uint16_t*>(p.weight) + stream * p.lane_stride;
    alignas(64) float widened[kPieceChunks * 16];
    for (int first = 0; first < chunks; first += kPieceChunks) {
      const int count = std::min(kPieceChunks, chunks - first);
      halves_to_floats(w + size_t(first) * 16, widened, size_t(count) * 16);
      accumulate<M>(p, widened, first, count, acc);
    }
  } else {
    accumulate<M>(p, static_cast<const float*>(p.weight) + stream * p.lane_stride, 0, chunks, acc);
  }
  // Lane 4j + c holds k phase j of column c.
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < 4; ++c)
      out[r * out_stride + c] = (acc[r][c] + acc[r][4 + c]) + (acc[r][8 + c] + acc[r][12 + c]);
}

template <int M>
VKCAP_INLINE void streams_product(const MatVec& p, int first, int end, float* out, int out_stride) {
  for (int s = first; s < end; ++s) stream_product<M>(p, s, out + (s - first) * 4, out_stride);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void product_of_streams(const MatVec& p, int first,
                                                                                   int end, float* out,
                                                                                   int out_stride) {
  switch (p.m) {
    case 1: return streams_product<1>(p, first, end, out, out_stride);
    case 2: return streams_product<2>(p, first, end, out, out_stride);
    case 3: return streams_product<3>(p, first, end, out, out_stride);
    case 4: return streams_product<4>(p, first, end, out, out_stride);
    case 5: return streams_product<5>(p, first, end, out, out_stride);
    case 6: return streams_product<6>(p, first, end, out, out_stride);
    case 7: return streams_product<7>(p, first, end, out, out_stride);
    case 8: return streams_product<8>(p, first, end, out, out_stride);
    default: throw Error("src/kernels/matvec_host.cpp: " + std::to_string(p.m) + " rows is outside the host range");
  }
}

// Streams [first, end) for every row, then their epilogue.
void run_task(const MatVec& p, int first, int end) {
  const int columns = std::min(p.n, end * 4) - first * 4;
  const int width = (end - first) * 4;
  thread_local std::vector<float> product;
  product.resize(size_t(p.m) * width);
  product_of_streams(p, first, end, product.data(), width);
  for (int r = 0; r < p.m; ++r)
    host_epilogue_row(&product[size_t(r) * width], p.bias ? p.bias + first * 4 : nullptr,
                      p.residual ? p.residual + size_t(r) * p.residual_stride + first * 4 : nullptr,
                      p.y + size_t(r) * p.y_stride + first * 4, columns, p.activation);
}

}  // namespace

bool matvec_on_host(const vk::Context& ctx, const PackedWeight& w, int m) {
  return m >= 1 && m <= kLinearMatVecMaxRows && !w.host && w.variant == vk::KernelVariant::Cpu &&
         w.weight && w.weight.mapped() && (!w.bias || w.bias.mapped()) && host_products_enabled(ctx);
}

void record_matvec_host(vk::Recorder& rec, const LinearArgs& args, int x_stride, int y_stride, int residual_stride) {
  const PackedWeight& w = *args.w;
  MatVec p;
  p.weight = w.weight.mapped();
  p.half = w.type == WeightType::F16;
  p.m = args.m, p.n = w.n, p.k_padded = w.k_padded, p.lane_stride = w.lane_stride;
  p.bias = w.has_bias() ? static_cast<const float*>(w.bias.mapped()) : nullptr;
  p.residual = args.residual.buffer ? mapped_floats(args.residual) : nullptr;
  p.y = mapped_floats(args.y);
  p.y_stride = y_stride, p.residual_stride = residual_stride;
  p.activation = args.activation;
  const float* x = mapped_floats(args.x);
  const int k = w.k;
  rec.host("host_matvec", [p, x, x_stride, k]() mutable {
    // The rows' inputs, each value four times (one per column of a stream), zero past K.
    thread_local std::vector<float> expanded;
    const size_t row = size_t(p.k_padded) * 4;
    expanded.assign(size_t(p.m) * row, 0.0f);
    for (int r = 0; r < p.m; ++r)
      for (int i = 0; i < k; ++i) {
        const float v = x[size_t(r) * x_stride + i];
        float* e = &expanded[r * row + size_t(i) * 4];
        e[0] = e[1] = e[2] = e[3] = v;
      }
    p.expanded = expanded.data();
    const int streams = (p.n + 3) / 4;
    const int tasks = (streams + kStreamsPerTask - 1) / kStreamsPerTask;
    HostPool::instance().run(tasks, [&](int t) {
      const int first = t * kStreamsPerTask;
      run_task(p, first, std::min(streams, first + kStreamsPerTask));
    });
  });
}

}  // namespace vkcap::kernels
