// vkcap::attention and vkcap::Linear against a textbook double-precision reference.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "api_test_util.h"
#include "vkcap/attention.h"

using namespace vkcap;
using namespace vkcap::api_test;

namespace {

Context& gpu() {
  static Context context(checked_context_options());
  return context;
}

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

struct Reference {
  std::vector<double> out, probs;  // [batch, lq, heads*d], [batch, heads, lq, lk]
};

// softmax(q·kᵀ·scale + causal mask)·v, one batch, head and query at a time.
Reference reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v, int batch,
                    int kv_batch, int lq, int lk, int heads, int d, bool causal) {
  Reference r;
  const int width = heads * d;
  r.out.assign(size_t(batch) * lq * width, 0.0);
  r.probs.assign(size_t(batch) * heads * lq * lk, 0.0);
  for (int b = 0; b < batch; ++b) {
    const int kb = kv_batch == 1 ? 0 : b;
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < lq; ++i) {
        std::vector<double> s(lk);
        double max = -1e300;
        for (int j = 0; j < lk; ++j) {
          double dot = 0;
          for (int e = 0; e < d; ++e)
            dot += double(q[(size_t(b) * lq + i) * width + h * d + e]) * k[(size_t(kb) * lk + j) * width + h * d + e];
          s[j] = (causal && j > i + (lk - lq)) ? -INFINITY : dot / std::sqrt(double(d));
          max = std::max(max, s[j]);
        }
        double sum = 0;
        for (double& x : s) sum += (x = std::exp(x - max));
        for (int j = 0; j < lk; ++j) {
          const double p = s[j] / sum;
          r.probs[((size_t(b) * heads + h) * lq + i) * lk + j] = p;
          for (int e = 0; e < d; ++e)
            r.out[(size_t(b) * lq + i) * width + h * d + e] += p * v[(size_t(kb) * lk + j) * width + h * d + e];
        }
      }
  }
  return r;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol, const char* what) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - want[i]));
  INFO(what << ": max abs error " << worst);
  CHECK(worst <= tol);
}

struct Case {
  int batch = 1, kv_batch = 1, lq = 5, lk = 5, heads = 1, d = 16;
  bool causal = false;
};

void check_case(const Case& c) {
  const int width = c.heads * c.d;
  const auto q = random_values(size_t(c.batch) * c.lq * width, 1 + c.lq);
  const auto k = random_values(size_t(c.kv_batch) * c.lk * width, 2 + c.lk);
  const auto v = random_values(size_t(c.kv_batch) * c.lk * width, 3 + c.heads);
  auto shape = [](int b, int l, int w) { return b == 1 ? std::vector<int>{l, w} : std::vector<int>{b, l, w}; };
  Tensor tq = gpu().tensor(q, shape(c.batch, c.lq, width));
  Tensor tk = gpu().tensor(k, shape(c.kv_batch, c.lk, width));
  Tensor tv = gpu().tensor(v, shape(c.kv_batch, c.lk, width));
  const Attention a = attention(tq, tk, tv, {.heads = c.heads, .causal = c.causal, .keep_probabilities = true});
  CHECK(a.output.shape() == tq.shape());
  CHECK(a.probabilities.shape() == std::vector<int>{c.batch, c.heads, c.lq, c.lk});
  const Reference r = reference(q, k, v, c.batch, c.kv_batch, c.lq, c.lk, c.heads, c.d, c.causal);
  check_close(a.output.read(), r.out, 1e-5, "output");
  check_close(a.probabilities.read(), r.probs, 1e-6, "probabilities");
}

}  // namespace

TEST_CASE("attention: scaled dot-product, multi-head, causal, cross and batched match the reference") {
  SUBCASE("scaled dot-product, one head") { check_case({}); }
  SUBCASE("multi-head: 4 heads of 8") { check_case({.lq = 6, .lk = 6, .heads = 4, .d = 8}); }
  SUBCASE("masked self-attention") { check_case({.lq = 7, .lk = 7, .heads = 2, .d = 16, .causal = true}); }
  SUBCASE("cross-attention: 3 queries over 11 keys") { check_case({.lq = 3, .lk = 11, .heads = 2, .d = 32}); }
  SUBCASE("causal with more keys than queries (a cache)") { check_case({.lq = 2, .lk = 6, .causal = true}); }
  SUBCASE("batched, k/v per batch") { check_case({.batch = 3, .kv_batch = 3, .lq = 4, .lk = 9, .heads = 2}); }
  SUBCASE("batched, one k/v shared") { check_case({.batch = 3, .kv_batch = 1, .lq = 4, .lk = 9, .heads = 2}); }
}

TEST_CASE("attention: the causal mask puts exactly zero weight above the diagonal") {
  const auto x = random_values(6 * 8, 9);
  Tensor t = gpu().tensor(x, {6, 8});
  const std::vector<float> p = masked_self_attention(t, t, t).probabilities.read();
  for (int i = 0; i < 6; ++i)
    for (int j = i + 1; j < 6; ++j) CHECK(p[size_t(i) * 6 + j] == 0.0f);
  CHECK(p[0] == 1.0f);  // the first word can only look at itself
}

TEST_CASE("attention: an explicit scale and the named lessons are the same call") {
  const auto x = random_values(4 * 16, 5);
  Tensor t = gpu().tensor(x, {4, 16});
  const auto plain = scaled_dot_product_attention(t, t, t).probabilities.read();
  const auto scaled = attention(t, t, t, {.scale = 0.25f, .keep_probabilities = true}).probabilities.read();
  CHECK(plain == scaled);  // 1/sqrt(16) = 0.25
  CHECK(attention(t, t, t).probabilities.empty());
  CHECK(multi_head_attention(t, t, t, 2).probabilities.shape() == std::vector<int>{1, 2, 4, 4});
}

TEST_CASE("Linear: y = x·W + b on the GPU, for any leading shape") {
  const int in = 12, out = 20;
  const auto w = random_values(size_t(in) * out, 11), b = random_values(out, 12), x = random_values(10 * in, 13);
  Linear project(gpu(), w, in, out, b);
  CHECK(project.in() == in);
  CHECK(project.out() == out);
  for (const std::vector<int>& shape : {std::vector<int>{10, in}, std::vector<int>{2, 5, in}, std::vector<int>{1, in}}) {
    const int rows = int(x.size() / in) / (shape.size() == 2 && shape[0] == 1 ? 10 : 1);
    Tensor tx = gpu().tensor(std::span(x).first(size_t(rows) * in), shape);
    const Tensor y = project(tx);
    std::vector<int> want_shape = shape;
    want_shape.back() = out;
    CHECK(y.shape() == want_shape);
    std::vector<double> want(size_t(rows) * out);
    for (int r = 0; r < rows; ++r)
      for (int n = 0; n < out; ++n) {
        double acc = b[n];
        for (int kk = 0; kk < in; ++kk) acc += double(x[size_t(r) * in + kk]) * w[size_t(kk) * out + n];
        want[size_t(r) * out + n] = acc;
      }
    check_close(y.read(), want, 1e-5, "linear");
  }
}
