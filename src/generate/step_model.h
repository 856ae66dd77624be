#pragma once
// The decoder as generation sees it. Everything in src/generate/ drives a StepModel; the GPU
// model (BLIP text decoder, GPT-2 with cross-attention) implements it, and tests implement it
// with small hand-made tables.
//
// Rows are independent sequences (images × beams) that share nothing but the model weights.
// Every row belongs to one image, whose cross-attention K/V it attends to. Logits come back
// as full vocabulary rows in float32, row-major [rows, vocab_size()].
#include <cstdint>
#include <span>
#include <vector>

namespace vkcap::generate {

// A decoding call's result when only each row's best tokens matter (greedy and beam search
// whose logits processors at most ban tokens): the k largest logits of every row, and the two
// parts of the row's log-softmax, so that log p(token) = (logit − row_max) − log(row_exp_sum)
// exactly as torch.log_softmax forms it.
struct TopLogits {
  int k = 0;
  std::vector<int32_t> ids;      // [rows, k]: descending by logit, equal logits by lower id
  std::vector<float> logits;     // [rows, k]
  std::vector<float> row_max;    // [rows]
  std::vector<float> row_exp_sum;  // [rows]: Σ exp(logit − row_max) over the whole row
  size_t rows() const { return row_max.size(); }
  float log_prob(size_t row, size_t rank) const;
};

// The same from whole rows [rows, vocab] (the fallback of models that only produce whole rows).
TopLogits top_logits_of(const std::vector<float>& logits, size_t rows, int vocab, int k);

class StepModel {
 public:
  virtual ~StepModel() = default;

  virtual int vocab_size() const = 0;
  // Decoder position limit (BLIP `max_position_embeddings`, GPT-2 `n_positions`). Generation
  // feeds positions 0 … max_length-2 (the last token is never fed), so it refuses a max_length
  // beyond max_positions()+1.
  virtual int max_positions() const = 0;

  // Starts one row per entry of `images`: row r attends to image images[r] and is fed the whole
  // decoder prompt (e.g. [DEC] + prompt tokens, or GPT-2's start token). Fills `logits` with
  // [images.size(), V]: the logits after the last prompt position. Every row gets the same prompt.
  virtual void start(std::span<const int> images, std::span<const int32_t> prompt_ids,
                     std::vector<float>& logits) = 0;

  // One decoding step. parent.size() is the new number of rows (it may grow or shrink: beam
  // search fans one row per image out to num_beams rows on its first step, and rows of finished
  // images are dropped). New row r first takes over the KV cache (and image) of old row
  // parent[r] — an old row may be continued by several new rows or by none — then is fed
  // next_token[r] at the next position. Fills `logits` with [parent.size(), V].
  // Greedy / sampling pass the identity minus finished rows; beam search passes HF's beam_idx.
  virtual void step(std::span<const int> parent, std::span<const int32_t> next_token,
                    std::vector<float>& logits) = 0;

  // start() and step() bringing back only each row's k best logits (1 ≤ k ≤ 64). A GPU model
  // selects them on the device and reads back k values a row instead of the whole vocabulary;
  // the defaults select them on the host from the whole rows.
  virtual bool selects_top_logits() const { return false; }
  virtual void start_top(std::span<const int> images, std::span<const int32_t> prompt_ids, int k, TopLogits& top);
  virtual void step_top(std::span<const int> parent, std::span<const int32_t> next_token, int k, TopLogits& top);
};

}  // namespace vkcap::generate
