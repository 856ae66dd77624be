// Lesson 1 — scaled dot-product self-attention, on the GPU.
//
// Each word of "the bat hit the ball" starts as an embedding x_i that knows nothing of its
// neighbours. Three projections turn it into a query, a key and a value:
//   q_i = x_i·W_q   k_i = x_i·W_k   v_i = x_i·W_v
// Word i then looks at every word j with weight softmax_j(q_i·k_j / sqrt(d)), and its
// contextual embedding is the weighted sum of the values: z_i = sum_j w_ij v_j.
// ("bat" next to "hit" and "ball" can now become the bat of baseball, not the animal.)
//
// The weights here are random, so the pattern means nothing yet: training is what makes them
// mean something. The point is the computation, which is exactly the one a trained model runs.
#include <cstdio>

#include "lesson.h"

int main() {
  const std::vector<std::string> words = {"the", "bat", "hit", "the", "ball"};
  const int n = int(words.size()), d = 16;
  try {
    vkcap::Context gpu;
    std::printf("device: %s\n\n", gpu.device_name().c_str());

    const std::vector<float> x = lesson::embed(words, d);
    const auto w_q = lesson::projection(d, d, 1), w_k = lesson::projection(d, d, 2), w_v = lesson::projection(d, d, 3);
    const vkcap::Tensor tokens = gpu.tensor(x, {n, d});
    const vkcap::Tensor q = vkcap::Linear(gpu, w_q, d, d)(tokens);
    const vkcap::Tensor k = vkcap::Linear(gpu, w_k, d, d)(tokens);
    const vkcap::Tensor v = vkcap::Linear(gpu, w_v, d, d)(tokens);
    const vkcap::Attention a = vkcap::scaled_dot_product_attention(q, k, v);

    const std::vector<float> weights = a.probabilities.read();  // [1, 1, n, n]
    std::printf("attention weights (row = the word looking, column = the word looked at; rows sum to 1):\n");
    lesson::print_weights(weights, words, words);
    std::printf("\nBoth \"the\" rows are identical: attention alone does not know word order, so the same\n"
                "word gets the same context wherever it stands (models add position embeddings for that).\n\n");

    const std::vector<float> z = a.output.read();  // the contextual embeddings [n, d]
    std::printf("contextual embedding of \"bat\" (first 6 of %d values):", d);
    for (int e = 0; e < 6; ++e) std::printf(" %+.3f", z[1 * d + e]);
    std::printf("\n\n");

    const lesson::Reference ref = lesson::attention(lesson::matmul(x, w_q, d, d), lesson::matmul(x, w_k, d, d),
                                                    lesson::matmul(x, w_v, d, d), n, n, 1, d, false);
    const bool ok = lesson::report("weights", weights, ref.weights) & lesson::report("embeddings", z, ref.out);
    return ok ? 0 : 1;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "self_attention: %s\n", e.what());
    return 1;
  }
}
