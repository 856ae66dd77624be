#pragma once
// What the attention examples share: toy embeddings, random projections, a plain C++ attention
// to check the GPU against, and printing of attention weights as a table of words.
// Only the public API (<vkcap/attention.h>) and the standard library are used.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <vkcap/attention.h>

namespace lesson {

// Deterministic pseudo-random numbers in [-1, 1) (the same on every machine and compiler).
inline float noise(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return float(double(z >> 11) / double(1ull << 52) - 1.0);
}

inline uint64_t word_seed(const std::string& word) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: the same word always gets the same vector
  for (unsigned char c : word) h = (h ^ c) * 1099511628211ull;
  return h;
}

// One row of `dim` values per word; a word's embedding depends only on the word.
inline std::vector<float> embed(const std::vector<std::string>& words, int dim) {
  std::vector<float> x;
  for (const std::string& w : words)
    for (int i = 0; i < dim; ++i) x.push_back(noise(word_seed(w), uint64_t(i)));
  return x;
}

// A random [in, out] projection, scaled so that projected vectors keep their length.
inline std::vector<float> projection(int in, int out, uint64_t seed) {
  std::vector<float> w(size_t(in) * out);
  const float scale = std::sqrt(3.0f / float(in));  // uniform[-1,1) has variance 1/3
  for (size_t i = 0; i < w.size(); ++i) w[i] = scale * noise(seed, i);
  return w;
}

// y = x · W, x [rows, in], W [in, out].
inline std::vector<float> matmul(const std::vector<float>& x, const std::vector<float>& w, int in, int out) {
  const size_t rows = x.size() / size_t(in);
  std::vector<float> y(rows * out, 0.0f);
  for (size_t r = 0; r < rows; ++r)
    for (int k = 0; k < in; ++k)
      for (int n = 0; n < out; ++n) y[r * out + n] += x[r * in + k] * w[size_t(k) * out + n];
  return y;
}

// The words of a lesson as queries, keys and values on the GPU: each word's embedding x_i
// (embed) goes through three projections, q_i = x_i·W_q, k_i = x_i·W_k, v_i = x_i·W_v. The
// host copies of x and W are kept so the lesson can check the GPU against plain C++.
struct ProjectedWords {
  int n = 0, dim = 0;
  std::vector<float> x, w_q, w_k, w_v;
  vkcap::Tensor q, k, v;
};
inline ProjectedWords project_words(vkcap::Context& gpu, const std::vector<std::string>& words, int dim) {
  ProjectedWords p;
  p.n = int(words.size());
  p.dim = dim;
  p.x = embed(words, dim);
  p.w_q = projection(dim, dim, 1), p.w_k = projection(dim, dim, 2), p.w_v = projection(dim, dim, 3);
  const vkcap::Tensor tokens = gpu.tensor(p.x, {p.n, dim});
  p.q = vkcap::Linear(gpu, p.w_q, dim, dim)(tokens);
  p.k = vkcap::Linear(gpu, p.w_k, dim, dim)(tokens);
  p.v = vkcap::Linear(gpu, p.w_v, dim, dim)(tokens);
  return p;
}

// The textbook computation, in double: for head h, query i,
//   weights[h][i][j] = softmax_j(q_i·k_j / sqrt(head_dim))  (causal: j > i gets weight 0)
//   out[i][h] = sum_j weights[h][i][j] v_j
struct Reference {
  std::vector<double> out, weights;  // [lq, heads*head_dim], [heads, lq, lk]
};
inline Reference attention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                           int lq, int lk, int heads, int head_dim, bool causal) {
  const int width = heads * head_dim;
  Reference r;
  r.out.assign(size_t(lq) * width, 0.0);
  r.weights.assign(size_t(heads) * lq * lk, 0.0);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < lq; ++i) {
      std::vector<double> score(lk);
      double max = -INFINITY, sum = 0;
      for (int j = 0; j < lk; ++j) {
        double dot = 0;
        for (int e = 0; e < head_dim; ++e) dot += double(q[i * width + h * head_dim + e]) * k[j * width + h * head_dim + e];
        score[j] = causal && j > i ? -INFINITY : dot / std::sqrt(double(head_dim));
        max = std::max(max, score[j]);
      }
      for (double& s : score) sum += (s = std::exp(s - max));
      for (int j = 0; j < lk; ++j) {
        const double p = score[j] / sum;
        r.weights[(size_t(h) * lq + i) * lk + j] = p;
        for (int e = 0; e < head_dim; ++e) r.out[i * width + h * head_dim + e] += p * v[j * width + h * head_dim + e];
      }
    }
  return r;
}

// The reference for one head of self-attention over projected words (causal or not).
inline Reference self_attention_reference(const ProjectedWords& p, bool causal) {
  return attention(matmul(p.x, p.w_q, p.dim, p.dim), matmul(p.x, p.w_k, p.dim, p.dim),
                   matmul(p.x, p.w_v, p.dim, p.dim), p.n, p.n, 1, p.dim, causal);
}

inline double max_difference(const std::vector<float>& gpu, const std::vector<double>& cpu) {
  double worst = gpu.size() == cpu.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < gpu.size() && i < cpu.size(); ++i) worst = std::max(worst, std::abs(gpu[i] - cpu[i]));
  return worst;
}

// Prints "GPU matches ..." and returns true, or says what differs and returns false.
inline bool report(const char* what, const std::vector<float>& gpu, const std::vector<double>& cpu,
                   double tolerance = 1e-4) {
  const double diff = max_difference(gpu, cpu);
  const bool ok = diff <= tolerance;
  std::printf("%s: GPU %s the plain C++ computation (max difference %.1e)\n", what,
              ok ? "matches" : "DOES NOT MATCH", diff);
  return ok;
}

// The attention weights of one head as a table: a row per query word, a column per key word.
inline void print_weights(const std::vector<float>& weights, const std::vector<std::string>& rows,
                          const std::vector<std::string>& cols) {
  std::printf("%10s", "");
  for (const std::string& c : cols) std::printf(" %7.7s", c.c_str());
  std::printf("\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    std::printf("%10.10s", rows[i].c_str());
    for (size_t j = 0; j < cols.size(); ++j) std::printf(" %7.3f", weights[i * cols.size() + j]);
    std::printf("\n");
  }
}

}  // namespace lesson
