#include "checks/ops_checks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "checks/guarded_buffer.h"

namespace vkcap::checks {

namespace {

const char* variant_name(vk::KernelVariant v) { return v == vk::KernelVariant::Cpu ? "cpu" : "gpu"; }

CheckResult named(const char* family, std::string variant, std::string shape) {
  CheckResult r;
  r.family = family;
  r.variant = std::move(variant);
  r.shape = std::move(shape);
  return r;
}

std::string rows_text(int rows, int n) { return std::to_string(rows) + "x" + std::to_string(n); }

// int32 values stored bit-for-bit in floats (guarded buffers hold floats), and back.
std::vector<float> as_floats(const std::vector<int32_t>& ids) {
  std::vector<float> f(ids.size());
  std::memcpy(f.data(), ids.data(), ids.size() * 4);
  return f;
}
std::vector<int32_t> as_ints(const std::vector<float>& f) {
  std::vector<int32_t> ids(f.size());
  std::memcpy(ids.data(), f.data(), f.size() * 4);
  return ids;
}

}  // namespace

std::vector<double> layer_norm_reference(const std::vector<float>& x, const std::vector<float>* residual, int rows,
                                         int d, int stride, const std::vector<float>& g, const std::vector<float>& b,
                                         double eps) {
  std::vector<double> y(size_t(rows) * d);
  for (int r = 0; r < rows; ++r) {
    std::vector<double> v(d);
    for (int i = 0; i < d; ++i)
      v[i] = double(x[size_t(r) * stride + i]) + (residual ? double((*residual)[size_t(r) * d + i]) : 0.0);
    double mean = 0, var = 0;
    for (double e : v) mean += e;
    mean /= d;
    for (double e : v) var += (e - mean) * (e - mean);
    var /= d;
    for (int i = 0; i < d; ++i) y[size_t(r) * d + i] = (v[i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
  }
  return y;
}

std::vector<double> softmax_reference(const std::vector<float>& x, int rows, int n, bool log) {
  std::vector<double> y(x.size());
  for (int r = 0; r < rows; ++r) {
    const float* row = &x[size_t(r) * n];
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < n; ++i) m = std::max(m, double(row[i]));
    for (int i = 0; i < n; ++i) sum += std::exp(double(row[i]) - m);
    for (int i = 0; i < n; ++i)
      y[size_t(r) * n + i] = log ? (double(row[i]) - m) - std::log(sum) : std::exp(double(row[i]) - m) / sum;
  }
  return y;
}

std::vector<int32_t> order_reference(const float* row, int n) {
  std::vector<int32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
    if (std::isnan(row[a]) != std::isnan(row[b])) return std::isnan(row[b]);
    return row[a] > row[b];
  });
  return idx;
}

std::vector<LayerNormShape> layer_norm_shapes() {
  return {{1, 1, 3},   {3, 32, 3},  {5, 40, 2},    {7, 48, 3},   {2, 64, 0},  {13, 97, 3},
          {4, 768, 0}, {577, 768, 2}, {3, 1024, 3}, {2, 4096, 2}, {1, 5003, 3}};
}

CheckResult check_layer_norm(const CheckRun& run, vk::KernelVariant variant, const LayerNormShape& s, bool on_host) {
  CheckResult r = named("layer_norm", on_host ? "host" : variant_name(variant),
                        rows_text(s.rows, s.d) + " stride " + std::to_string(s.d + s.stride_pad));
  const int stride = s.d + s.stride_pad;  // a row may be a slice of a wider buffer
  auto x = random_values(size_t(s.rows) * stride, 11 + s.d, -2.0f, 3.0f);
  auto g = random_values(s.d, 12 + s.d, 0.5f, 1.5f);
  auto b = random_values(s.d, 13 + s.d, -0.5f, 0.5f);
  GuardedBuffer xb(run.ctx, x), gb(run.ctx, g), bb(run.ctx, b), yb(run.ctx, size_t(s.rows) * s.d);
  vk::Recorder rec(run.ctx);
  kernels::LayerNormArgs a;
  a.x = xb.ref(), a.x_stride = stride, a.gamma = gb.ref(), a.beta = bb.ref(), a.y = yb.ref(), a.y_stride = s.d;
  a.rows = s.rows, a.d = s.d, a.eps = 1e-12f, a.on_host = on_host;
  kernels::record_layer_norm(rec, a, variant);
  r.require(rec.host_step_count() == (on_host ? 1u : 0u), "host step where asked, none elsewhere");
  rec.submit();
  r.require(yb.guards_intact(), "guard bands around y overwritten");
  // d = 1: the row is its own mean, so y = beta exactly.
  run.compare(r, yb.read(), layer_norm_reference(x, nullptr, s.rows, s.d, stride, g, b, 1e-12),
              Tolerance::for_reduction(s.d, 1e-6, 1e-5), "y");
  return r;
}

CheckResult check_layer_norm_magnitudes(const CheckRun& run, vk::KernelVariant variant) {
  CheckResult r = named("layer_norm", variant_name(variant), "3x768 mean 1e4, tiny 1e-4, huge 1e4 spread");
  const int rows = 3, d = 768;
  std::vector<float> x(size_t(rows) * d);
  auto noise = random_values(x.size(), 5);
  for (int i = 0; i < d; ++i) {
    x[i] = 1e4f + noise[i];                    // mean 1e4, spread 1: naive E[x²]−E[x]² loses it
    x[d + i] = 1e-4f * noise[d + i];           // tiny values, variance 3e-9 with eps 1e-12
    x[2 * d + i] = 1e4f * noise[2 * d + i];    // huge spread
  }
  std::vector<float> g(d, 1.0f), b(d, 0.0f);
  GuardedBuffer xb(run.ctx, x), gb(run.ctx, g), bb(run.ctx, b), yb(run.ctx, x.size());
  vk::Recorder rec(run.ctx);
  kernels::LayerNormArgs a;
  a.x = xb.ref(), a.x_stride = d, a.gamma = gb.ref(), a.beta = bb.ref(), a.y = yb.ref(), a.y_stride = d;
  a.rows = rows, a.d = d, a.eps = 1e-12f;
  kernels::record_layer_norm(rec, a, variant);
  rec.submit();
  // Row 0's inputs are only known to ~1e-3 absolute (float spacing at 1e4 is 1e-3), which the
  // reference sees exactly, so the result is good to the ~1e-3 relative of the input data.
  auto ref = layer_norm_reference(x, nullptr, rows, d, d, g, b, 1e-12);
  auto y = yb.read();
  run.compare(r, std::span(y).subspan(0, d), std::span<const double>(ref).subspan(0, d), {2e-3, 2e-3}, "mean 1e4");
  run.compare(r, std::span(y).subspan(d), std::span<const double>(ref).subspan(d),
              Tolerance::for_reduction(d, 1e-6, 1e-5), "tiny and huge rows");
  return r;
}

CheckResult check_layer_norm_residual(const CheckRun& run, vk::KernelVariant variant, bool into_residual) {
  CheckResult r = named("layer_norm", variant_name(variant),
                        std::string("17x48 + residual, y = ") + (into_residual ? "residual" : "x"));
  const int rows = 17, d = 48;
  auto x = random_values(size_t(rows) * d, 21);
  auto res = random_values(size_t(rows) * d, 22, -3.0f, 3.0f);
  auto g = random_values(d, 23, 0.5f, 1.5f);
  auto b = random_values(d, 24);
  auto ref = layer_norm_reference(x, &res, rows, d, d, g, b, 1e-5);
  GuardedBuffer xb(run.ctx, x), rb(run.ctx, res), gb(run.ctx, g), bb(run.ctx, b);
  vk::Recorder rec(run.ctx);
  kernels::LayerNormArgs a;
  a.x = xb.ref(), a.x_stride = d, a.residual = rb.ref(), a.residual_stride = d, a.gamma = gb.ref(), a.beta = bb.ref();
  a.y = into_residual ? rb.ref() : xb.ref(), a.y_stride = d, a.rows = rows, a.d = d;
  kernels::record_layer_norm(rec, a, variant);
  rec.submit();
  GuardedBuffer& out = into_residual ? rb : xb;
  r.require(out.guards_intact(), "guard bands around y overwritten");
  run.compare(r, out.read(), ref, Tolerance::for_reduction(d), "y");
  return r;
}

std::vector<RowsShape> softmax_shapes() { return {{1, 1}, {3, 7}, {5, 64}, {2, 577}, {4, 1031}, {2, 50257}}; }

namespace {

std::vector<float> run_softmax(const CheckRun& run, CheckResult& r, const std::vector<float>& x, int rows, int n,
                               bool log, bool in_place) {
  GuardedBuffer xb(run.ctx, x), yb(run.ctx, x.size());
  vk::Recorder rec(run.ctx);
  kernels::record_softmax(rec, xb.ref(), in_place ? xb.ref() : yb.ref(), rows, n, log);
  rec.submit();
  r.require(xb.guards_intact() && yb.guards_intact(), "guard bands overwritten");
  return in_place ? xb.read() : yb.read();
}

}  // namespace

std::vector<RowsShape> softmax_stats_shapes() { return {{1, 1}, {3, 7}, {2, 63}, {5, 577}, {1, 30524}, {4, 51289}}; }

CheckResult check_softmax_stats(const CheckRun& run, const RowsShape& s) {
  CheckResult r = named("softmax_stats", "", rows_text(s.rows, s.n));
  auto x = random_values(size_t(s.rows) * s.n, 17 + s.n, -25.0f, 25.0f);
  if (s.n > 1)
    for (int row = 0; row < s.rows; ++row) x[size_t(row) * s.n + 1] = -std::numeric_limits<float>::infinity();
  GuardedBuffer xb(run.ctx, x), stats(run.ctx, size_t(s.rows) * 2);
  vk::Recorder rec(run.ctx);
  kernels::record_softmax_stats(rec, xb.ref(), s.rows, s.n, stats.ref());
  rec.submit();
  r.require(xb.guards_intact() && stats.guards_intact(), "guard bands overwritten");
  std::vector<float> got = stats.read();
  if (run.perturbs(r.family)) got[1] *= 1.5f;
  std::vector<double> want(got.size());
  for (int row = 0; row < s.rows; ++row) {
    const float* values = &x[size_t(row) * s.n];
    const float max = *std::max_element(values, values + s.n);
    double sum = 0;
    for (int i = 0; i < s.n; ++i) sum += std::exp(double(values[i]) - max);
    want[2 * size_t(row)] = max;
    want[2 * size_t(row) + 1] = sum;
  }
  // The max exactly; the sum of e^(x − max) to a few float roundings of it.
  run.compare(r, got, want, {0.0, 2e-6}, "max and sum");
  return r;
}

CheckResult check_softmax(const CheckRun& run, const RowsShape& s, bool log) {
  CheckResult r = named(log ? "log_softmax" : "softmax", "", rows_text(s.rows, s.n));
  auto x = random_values(size_t(s.rows) * s.n, 31 + s.n, -20.0f, 20.0f);
  // softmax: relative error of e^ (~1e-7) plus the sum; log-softmax: absolute in the log.
  const Tolerance tol = log ? Tolerance{2e-5, 1e-6} : Tolerance{1e-12, 1e-5};
  run.compare(r, run_softmax(run, r, x, s.rows, s.n, log, false), softmax_reference(x, s.rows, s.n, log), tol, "y");
  return r;
}

CheckResult check_softmax_magnitudes(const CheckRun& run, bool log) {
  CheckResult r = named(log ? "log_softmax" : "softmax", "", "2x300 ±1e4 and ±1e-4, in place");
  const int rows = 2, n = 300;
  auto x = random_values(size_t(rows) * n, 41, -1e4f, 1e4f);
  auto small = random_values(n, 42, -1e-4f, 1e-4f);
  std::copy(small.begin(), small.end(), x.begin() + n);
  const Tolerance tol = log ? Tolerance{1e-5, 1e-6} : Tolerance{1e-12, 1e-5};
  run.compare(r, run_softmax(run, r, x, rows, n, log, true), softmax_reference(x, rows, n, log), tol, "y");
  return r;
}

CheckResult check_softmax_masked(const CheckRun& run, bool log) {
  CheckResult r = named(log ? "log_softmax" : "softmax", "", "2x5 masked logits, a row of only -inf");
  const float inf = std::numeric_limits<float>::infinity();
  const int n = 5;
  const std::vector<float> x = {1.0f, -inf, 2.0f, 0.5f, -inf, -inf, -inf, -inf, -inf, -inf};
  const std::vector<float> y = run_softmax(run, r, x, 2, n, log, false);
  // Row 0 against the reference (0 or −inf where masked); row 1 all NaN.
  const std::vector<float> first(x.begin(), x.begin() + n);
  const std::vector<double> want = softmax_reference(first, 1, n, log);
  const Tolerance tol = log ? Tolerance{2e-5, 1e-6} : Tolerance{1e-7, 1e-6};
  run.compare(r, std::span(y).subspan(0, n), want, tol, "masked row");
  if (log) run.compare(r, std::span(y).subspan(2, 1), std::span(want).subspan(2, 1), {1e-6, 0}, "the largest logit");
  r.require(y[1] == (log ? -inf : 0.0f) && y[4] == (log ? -inf : 0.0f), "a masked logit does not give exactly 0 (log: -inf)");
  bool all_nan = true;
  for (int i = n; i < 2 * n; ++i) all_nan &= std::isnan(y[i]);
  r.require(all_nan, "a row of only -inf does not give NaN");
  return r;
}

CheckResult check_add(const CheckRun& run, size_t n) {
  CheckResult r = named("add", "", "n=" + std::to_string(n) + " ±1e4 + ±1e-4");
  auto a = random_values(n, 51, -1e4f, 1e4f), b = random_values(n, 52, -1e-4f, 1e-4f);
  std::vector<float> ref(n);
  for (size_t i = 0; i < n; ++i) ref[i] = a[i] + b[i];
  GuardedBuffer ab(run.ctx, a), bb(run.ctx, b), yb(run.ctx, n);
  vk::Recorder rec(run.ctx);
  kernels::record_add(rec, ab.ref(), bb.ref(), yb.ref(), int64_t(n));
  rec.submit();
  r.require(yb.guards_intact(), "guard bands overwritten");
  run.compare(r, yb.read(), ref, {0, 0}, "y");
  return r;
}

CheckResult check_add_in_place(const CheckRun& run) {
  CheckResult r = named("add", "", "n=1000 into either input");
  const size_t n = 1000;
  auto a = random_values(n, 53), b = random_values(n, 54);
  std::vector<float> ref(n);
  for (size_t i = 0; i < n; ++i) ref[i] = a[i] + b[i];
  GuardedBuffer ab(run.ctx, a), bb(run.ctx, b);
  vk::Recorder rec(run.ctx);
  kernels::record_add(rec, ab.ref(), bb.ref(), ab.ref(), int64_t(n));  // a += b
  kernels::record_add(rec, ab.ref(), bb.ref(), bb.ref(), int64_t(n));  // b += (a + b)
  rec.submit();
  run.compare(r, ab.read(), ref, {0, 0}, "y = a");
  for (size_t i = 0; i < n; ++i) ref[i] = ref[i] + b[i];
  run.compare(r, bb.read(), ref, {0, 0}, "y = b");
  r.require(ab.guards_intact() && bb.guards_intact(), "guard bands overwritten");
  return r;
}

CheckResult check_embedding(const CheckRun& run) {
  const int vocab = 37, max_pos = 11, d = 67;
  CheckResult r = named("embedding", "", "vocab 37, 11 positions, d 67, out-of-range ids");
  auto table = random_values(size_t(vocab) * d, 61), positions = random_values(size_t(max_pos) * d, 62);
  std::vector<int32_t> ids = {0, 36, 5, 5, -1, 37, 12, 1000000};
  std::vector<int32_t> pos = {0, 1, 2, 10, 3, 4, 11, -5};
  const int rows = int(ids.size());
  vk::Context& ctx = run.ctx;
  GuardedBuffer tb(ctx, table), pb(ctx, positions), ib(ctx, as_floats(ids)), qb(ctx, as_floats(pos));
  GuardedBuffer with_pos(ctx, size_t(rows) * d, 7.0f), without_pos(ctx, size_t(rows) * d, 7.0f);
  vk::Recorder rec(ctx);
  kernels::record_embedding(rec, tb.ref(), vocab, ib.ref(), pb.ref(), max_pos, qb.ref(), with_pos.ref(), rows, d);
  kernels::record_embedding(rec, tb.ref(), vocab, ib.ref(), {}, 0, {}, without_pos.ref(), rows, d);
  rec.submit();
  std::vector<float> ref_pos(size_t(rows) * d), ref_tok(size_t(rows) * d);
  for (int row = 0; row < rows; ++row) {
    const bool id_ok = ids[row] >= 0 && ids[row] < vocab, pos_ok = pos[row] >= 0 && pos[row] < max_pos;
    for (int i = 0; i < d; ++i) {
      ref_tok[size_t(row) * d + i] = id_ok ? table[size_t(ids[row]) * d + i] : 0.0f;
      ref_pos[size_t(row) * d + i] =
          id_ok && pos_ok ? table[size_t(ids[row]) * d + i] + positions[size_t(pos[row]) * d + i] : 0.0f;
    }
  }
  run.compare(r, with_pos.read(), ref_pos, {0, 0}, "token + position");
  run.compare(r, without_pos.read(), ref_tok, {0, 0}, "token only");
  r.require(with_pos.guards_intact() && without_pos.guards_intact(), "guard bands overwritten");
  return r;
}

std::vector<MeanRowsShape> mean_rows_shapes() { return {{1, 1, 0}, {9, 64, 0}, {577, 33, 40}, {4099, 3, 0}}; }

CheckResult check_mean_rows(const CheckRun& run, const MeanRowsShape& s) {
  CheckResult r = named("mean_rows", "", rows_text(s.rows, s.cols) + " stride " + std::to_string(s.stride));
  const int stride = s.stride ? s.stride : s.cols;
  auto x = random_values(size_t(s.rows) * stride, 51 + s.rows, -1000.0f, 1000.0f);
  GuardedBuffer xb(run.ctx, x), y(run.ctx, s.cols);
  vk::Recorder rec(run.ctx);
  kernels::record_mean_rows(rec, xb.ref(), s.rows, s.cols, s.stride, y.ref());
  rec.submit();
  std::vector<double> want(s.cols, 0.0);
  for (int row = 0; row < s.rows; ++row)
    for (int c = 0; c < s.cols; ++c) want[c] += x[size_t(row) * stride + c];
  for (double& v : want) v /= s.rows;
  // One rounding of the sum and one of the division: a few ulps of the largest partial sum.
  run.compare(r, y.read(), want, {1e-4, 1e-6}, "mean rows");
  r.require(y.guards_intact(), "guard bands overwritten");
  return r;
}

std::vector<TopKShape> topk_shapes() {
  return {{1, 1, 1}, {3, 5, 5}, {4, 67, 3}, {2, 1031, 64}, {3, 50257, 6}, {1, 50257, 64}};
}

TopK run_topk(const CheckRun& run, CheckResult& r, const std::vector<float>& x, int rows, int n, int k) {
  GuardedBuffer xb(run.ctx, x), vb(run.ctx, size_t(rows) * k), ib(run.ctx, size_t(rows) * k);
  vk::Recorder rec(run.ctx);
  kernels::record_topk(rec, xb.ref(), rows, n, k, vb.ref(), ib.ref());
  rec.submit();
  r.require(vb.guards_intact() && ib.guards_intact(), "guard bands overwritten");
  TopK t{vb.read(), as_ints(ib.read())};
  std::vector<int32_t> want_indices;
  std::vector<float> want_values;
  for (int row = 0; row < rows; ++row) {
    const std::vector<int32_t> order = order_reference(&x[size_t(row) * n], n);
    for (int j = 0; j < k; ++j) {
      want_indices.push_back(order[j]);
      want_values.push_back(x[size_t(row) * n + order[j]]);
    }
  }
  run.compare_exact(r, t.indices, want_indices, "indices");
  run.compare(r, t.values, want_values, {0, 0}, "values");  // NaN matches NaN
  return t;
}

CheckResult check_topk_ties(const CheckRun& run) {
  CheckResult r = named("topk", "", "4x200 k=64 ties, NaN, ascending");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int n = 200, k = 64;
  std::vector<float> x(4 * size_t(n), 0.25f);                                          // row 0: all equal -> 0..63
  for (int i = 0; i < n; ++i) x[n + i] = float(i % 5);                                   // row 1: many ties
  for (int i = 0; i < n; ++i) x[2 * n + i] = i < 150 ? nan : 1e-4f * float(n - i);      // row 2: only 50 numbers
  for (int i = 0; i < n; ++i) x[3 * n + i] = float(i);  // row 3: ascending (worst case for insertion)
  const TopK t = run_topk(run, r, x, 4, n, k);
  bool first_row = true;
  for (int j = 0; j < k; ++j) first_row &= t.indices[j] == j;
  r.require(first_row, "row of equal values: indices are not 0..63");
  r.require(t.indices[2 * k + 49] == 199 && t.indices[2 * k + 50] == 0 && std::isnan(t.values[2 * k + 50]),
            "row with 150 NaN: the 50 numbers do not come first, or NaN does not follow from index 0");
  return r;
}

CheckResult check_topk(const CheckRun& run, const TopKShape& s) {
  CheckResult r = named("topk", "", rows_text(s.rows, s.n) + " k=" + std::to_string(s.k));
  auto x = random_values(size_t(s.rows) * s.n, 91 + s.n, -1e4f, 1e4f);
  run_topk(run, r, x, s.rows, s.n, s.k);
  return r;
}

}  // namespace vkcap::checks
