// TopLogits from whole rows, and StepModel's host-side defaults for start_top/step_top.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "generate/logits_processors.h"
#include "generate/step_model.h"
#include "util/error.h"

namespace vkcap::generate {

float TopLogits::log_prob(size_t row, size_t rank) const {
  // log_softmax's own order of operations: (x − max) − log Σ, the sum's log taken in double.
  const float log_sum = static_cast<float>(std::log(static_cast<double>(row_exp_sum[row])));
  return (logits[row * static_cast<size_t>(k) + rank] - row_max[row]) - log_sum;
}

TopLogits top_logits_of(const std::vector<float>& logits, size_t rows, int vocab, int k) {
  if (k < 1 || k > vocab) throw Error("internal: top-k of " + std::to_string(k) + " from a vocabulary of " +
                                      std::to_string(vocab));
  if (logits.size() != rows * static_cast<size_t>(vocab)) throw Error("internal: logits are not rows × vocab");
  TopLogits top;
  top.k = k;
  const size_t V = static_cast<size_t>(vocab), K = static_cast<size_t>(k);
  top.ids.resize(rows * K);
  top.logits.resize(rows * K);
  top.row_max.resize(rows);
  top.row_exp_sum.resize(rows);
  std::vector<int32_t> order(V);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = logits.data() + r * V;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(K), order.end(),
                      [row](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
    for (size_t i = 0; i < K; ++i) {
      top.ids[r * K + i] = order[i];
      top.logits[r * K + i] = row[order[i]];
    }
    const SoftmaxParts parts = softmax_parts(std::span<const float>(row, V));
    top.row_max[r] = parts.max;
    top.row_exp_sum[r] = static_cast<float>(parts.exp_sum);
  }
  return top;
}

void StepModel::start_top(std::span<const int> images, std::span<const int32_t> prompt_ids, int k, TopLogits& top) {
  std::vector<float> logits;
  start(images, prompt_ids, logits);
  top = top_logits_of(logits, images.size(), vocab_size(), k);
}

void StepModel::step_top(std::span<const int> parent, std::span<const int32_t> next_token, int k, TopLogits& top) {
  std::vector<float> logits;
  step(parent, next_token, logits);
  top = top_logits_of(logits, parent.size(), vocab_size(), k);
}

}  // namespace vkcap::generate
