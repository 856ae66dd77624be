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
  const int d = 16;
  try {
    vkcap::Context gpu;
    std::printf("device: %s\n\n", gpu.device_name().c_str());

    const lesson::ProjectedWords p = lesson::project_words(gpu, words, d);  // q, k, v for every word
    const vkcap::Attention a = vkcap::scaled_dot_product_attention(p.q, p.k, p.v);

    const std::vector<float> weights = a.probabilities.read();  // [1, 1, n, n]
    std::printf("attention weights (row = the word looking, column = the word looked at; rows sum to 1):\n");
    lesson::print_weights(weights, words, words);
    std::printf("\nBoth \"the\" rows are identical: attention alone does not know word order, so the same\n"
                "word gets the same context wherever it stands (models add position embeddings for that).\n\n");

    const std::vector<float> z = a.output.read();  // the contextual embeddings [n, d]
    std::printf("contextual embedding of \"bat\" (first 6 of %d values):", d);
    for (int e = 0; e < 6; ++e) std::printf(" %+.3f", z[1 * d + e]);
    std::printf("\n\n");

    const lesson::Reference ref = lesson::self_attention_reference(p, /*causal=*/false);
    const bool ok = lesson::report("weights", weights, ref.weights) & lesson::report("embeddings", z, ref.out);
    return ok ? 0 : 1;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "self_attention: %s\n", e.what());
    return 1;
  }
}
