// Lesson 2 — masked (causal) self-attention, as a decoder writes text.
//
// While writing word i, a decoder must not peek at words it has not written yet. The mask sets
// the score of every later word j > i to -inf before the softmax, so its weight is exactly 0:
//   w_ij = softmax_j(q_i·k_j / sqrt(d) + mask_ij),   mask_ij = 0 if j <= i else -inf
// The weights form a lower triangle: the first word sees only itself, the last sees all.
// This is the self-attention of every captioning decoder (BLIP, GPT-2) in vkcap.
#include <cstdio>

#include "lesson.h"

int main() {
  const std::vector<std::string> words = {"the", "bat", "hit", "the", "ball"};
  const int n = int(words.size()), d = 16;
  try {
    vkcap::Context gpu;
    std::printf("device: %s\n\n", gpu.device_name().c_str());

    const lesson::ProjectedWords p = lesson::project_words(gpu, words, d);  // q, k, v for every word
    const vkcap::Attention a = vkcap::masked_self_attention(p.q, p.k, p.v);

    const std::vector<float> weights = a.probabilities.read();
    std::printf("causal attention weights (each word sees itself and the words before it):\n");
    lesson::print_weights(weights, words, words);

    bool upper_zero = true;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) upper_zero = upper_zero && weights[size_t(i) * n + j] == 0.0f;
    std::printf("\nabove the diagonal: %s\n", upper_zero ? "all exactly 0 (no peeking at future words)" : "NOT ZERO");
    std::printf("Now the two \"the\" rows differ: the second one has more words before it to look at.\n\n");

    const lesson::Reference ref = lesson::self_attention_reference(p, /*causal=*/true);
    const bool ok = lesson::report("weights", weights, ref.weights) &
                    lesson::report("embeddings", a.output.read(), ref.out);
    return ok && upper_zero ? 0 : 1;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "masked_attention: %s\n", e.what());
    return 1;
  }
}
