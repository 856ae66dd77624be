// `_greedy_search` and `_sample` of transformers 4.40: processors on the raw logits, then argmax
// (first maximum) or warpers + softmax + one draw. A row stops when it produces an EOS id (kept)
// or reaches max_length. HF keeps finished rows in the batch, padded with pad_token_id; here
// they are dropped from the model instead, which changes nothing for the other rows.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>
#include <vector>

#include "generate/decoding.h"
#include "generate/logits_processors.h"
#include "util/error.h"

namespace vkcap::generate {
namespace {

struct Row {
  int sequence = 0;   // index into the results
  int model_row = 0;  // row of the last logits
  std::vector<int32_t> tokens;
  double logprob_sum = 0.0;
  std::vector<GeneratedStep> steps;
  std::mt19937_64 rng;
};

// The next token of greedy search from a top-k selection: the best candidate no processor bans
// (top_k_for asked for enough of them), and its log-probability.
std::pair<int32_t, float> best_allowed(const TopLogits& top, size_t row, const std::vector<int32_t>& banned) {
  for (size_t rank = 0; rank < static_cast<size_t>(top.k); ++rank) {
    const int32_t id = top.ids[row * static_cast<size_t>(top.k) + rank];
    if (std::find(banned.begin(), banned.end(), id) == banned.end()) return {id, top.log_prob(row, rank)};
  }
  throw Error("internal: every selected token is banned");
}

// k for the next call: one token a row (plus what is banned) when greedy, whole rows to sample.
int greedy_top_k(const StepModel& model, const LogitsProcessorList& processors, bool sampling,
                 const std::vector<Row>& rows) {
  if (sampling) return 0;
  std::vector<const std::vector<int32_t>*> histories;
  for (const Row& row : rows) histories.push_back(&row.tokens);
  return top_k_for(model, processors, 1, histories);
}

}  // namespace

std::vector<GeneratedSequence> greedy_or_sample(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                                const GenerationConfig& config, const ResolvedGeneration& resolved) {
  const int vocab = model.vocab_size();
  const bool sampling = resolved.mode == DecodingMode::kSample;
  const int per_image = config.num_return_sequences;  // 1 for greedy (checked by resolve_generation)
  const LogitsProcessorList processors(config, resolved);
  const LogitsWarperList warpers(config);

  // `_expand_inputs_for_generation`: num_return_sequences rows per image, image-major. Each row
  // has its own generator seeded from (seed, image, sample), so an image's captions do not
  // depend on which other images share the batch.
  std::vector<GeneratedSequence> results(static_cast<size_t>(num_images * per_image));
  std::vector<Row> rows;
  for (int image = 0; image < num_images; ++image)
    for (int j = 0; j < per_image; ++j) {
      Row row;
      row.sequence = image * per_image + j;
      row.model_row = image;
      row.tokens.assign(prompt.begin(), prompt.end());
      std::seed_seq seq{static_cast<uint32_t>(config.seed), static_cast<uint32_t>(config.seed >> 32),
                        static_cast<uint32_t>(image), static_cast<uint32_t>(j)};
      row.rng.seed(seq);
      rows.push_back(std::move(row));
      results[static_cast<size_t>(image * per_image + j)].image = image;
    }

  std::vector<int> images(static_cast<size_t>(num_images));
  for (int i = 0; i < num_images; ++i) images[static_cast<size_t>(i)] = i;
  StepResult result;
  call_start(model, images, prompt, greedy_top_k(model, processors, sampling, rows), result);

  std::vector<float> raw_logprobs(static_cast<size_t>(vocab)), scores(static_cast<size_t>(vocab)),
      probs(static_cast<size_t>(vocab));
  while (!rows.empty()) {
    std::vector<Row> running;
    std::vector<int> parent;
    std::vector<int32_t> next_token;
    for (Row& row : rows) {
      int32_t token = 0;
      float logprob = 0.0f;
      if (!result.whole_rows()) {
        std::tie(token, logprob) =
            best_allowed(result.top, static_cast<size_t>(row.model_row), *processors.banned_tokens(row.tokens));
      } else {
        std::span<const float> raw(result.logits.data() + static_cast<size_t>(row.model_row) * vocab,
                                   static_cast<size_t>(vocab));
        log_softmax(raw, raw_logprobs);
        scores.assign(raw.begin(), raw.end());
        processors.apply(row.tokens, scores);
        if (sampling) {
          warpers.apply(scores);
          softmax(scores, probs);
          token = sample_categorical(probs, row.rng);
        } else {
          token = argmax(scores);
        }
        logprob = raw_logprobs[static_cast<size_t>(token)];
      }
      row.tokens.push_back(token);
      row.logprob_sum += logprob;
      if (config.record_steps) row.steps.push_back({token, logprob});

      const bool eos = is_eos(config, token);
      if (eos || static_cast<int>(row.tokens.size()) >= resolved.max_length) {
        GeneratedSequence& out = results[static_cast<size_t>(row.sequence)];
        out.tokens = std::move(row.tokens);
        out.new_tokens.assign(out.tokens.begin() + resolved.prompt_len, out.tokens.end());
        out.score = static_cast<float>(row.logprob_sum / static_cast<double>(out.new_tokens.size()));
        out.finish_reason = eos ? "eos" : "length";
        out.steps = std::move(row.steps);
      } else {
        parent.push_back(row.model_row);
        next_token.push_back(token);
        row.model_row = static_cast<int>(running.size());
        running.push_back(std::move(row));
      }
    }
    rows = std::move(running);
    if (rows.empty()) break;
    call_step(model, parent, next_token, greedy_top_k(model, processors, sampling, rows), result);
  }
  return results;
}

}  // namespace vkcap::generate
