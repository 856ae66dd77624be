// Lesson 3 — multi-head attention: h small attentions side by side.
//
// One attention can only weigh words one way. Multi-head attention projects each word into h
// smaller query/key/value spaces (d/h wide each), runs attention in each — each head free to
// look for something different — then concatenates the h results and mixes them with W_o:
//   head_h = Attention(X·W_q^h, X·W_k^h, X·W_v^h)
//   MultiHead(X) = Concat(head_1, ..., head_h)·W_o
// On the GPU the h heads are one dispatch: q, k, v are [n, h*(d/h)] and head h reads its slice.
#include <cstdio>

#include "lesson.h"

int main() {
  const std::vector<std::string> words = {"the", "bat", "hit", "the", "ball"};
  const int n = int(words.size()), d = 16, heads = 4, head_dim = d / heads;
  try {
    vkcap::Context gpu;
    std::printf("device: %s\n\n", gpu.device_name().c_str());

    const std::vector<float> x = lesson::embed(words, d);
    // W_q = [W_q^1 | W_q^2 | ... ]: one [d, d] projection gives all heads' queries side by side.
    const auto w_q = lesson::projection(d, d, 11), w_k = lesson::projection(d, d, 12),
               w_v = lesson::projection(d, d, 13), w_o = lesson::projection(d, d, 14);
    const vkcap::Tensor tokens = gpu.tensor(x, {n, d});
    const vkcap::Tensor q = vkcap::Linear(gpu, w_q, d, d)(tokens);
    const vkcap::Tensor k = vkcap::Linear(gpu, w_k, d, d)(tokens);
    const vkcap::Tensor v = vkcap::Linear(gpu, w_v, d, d)(tokens);
    const vkcap::Attention a = vkcap::multi_head_attention(q, k, v, heads);
    const vkcap::Tensor mixed = vkcap::Linear(gpu, w_o, d, d)(a.output);  // Concat(heads)·W_o

    const std::vector<float> weights = a.probabilities.read();  // [1, heads, n, n]
    for (int h = 0; h < heads; ++h) {
      std::printf("head %d (query/key width %d):\n", h + 1, head_dim);
      lesson::print_weights(std::vector<float>(weights.begin() + h * n * n, weights.begin() + (h + 1) * n * n), words,
                            words);
      std::printf("\n");
    }
    std::printf("Each head weighs the same words differently; W_o mixes what they found.\n\n");

    const lesson::Reference ref = lesson::attention(lesson::matmul(x, w_q, d, d), lesson::matmul(x, w_k, d, d),
                                                    lesson::matmul(x, w_v, d, d), n, n, heads, head_dim, false);
    std::vector<float> concat(ref.out.begin(), ref.out.end());
    const std::vector<float> ref_mixed = lesson::matmul(concat, w_o, d, d);
    const bool ok = lesson::report("weights of all heads", weights, ref.weights) &
                    lesson::report("concatenated heads", a.output.read(), ref.out) &
                    lesson::report("after W_o", mixed.read(), std::vector<double>(ref_mixed.begin(), ref_mixed.end()));
    return ok ? 0 : 1;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "multi_head: %s\n", e.what());
    return 1;
  }
}
