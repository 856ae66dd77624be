// `_greedy_search` and `_sample` of transformers 4.40: processors on the raw logits, then argmax
// (first maximum) or warpers + softmax + one draw. A row stops when it produces an EOS id (kept)
// or reaches max_length. HF keeps finished rows in the batch, padded with pad_token_id; here
// they are dropped from the model instead, which changes nothing for the other rows.
#include <cmath>
#include <vector>

#include "generate/decoding.h"
#include "generate/logits_processors.h"

namespace vkcap {
namespace {

struct Row {
  int sequence = 0;   // index into the results
  int model_row = 0;  // row of the last logits
  std::vector<int32_t> tokens;
  double logprob_sum = 0.0;
  std::vector<GeneratedStep> steps;
  std::mt19937_64 rng;
};

}  // namespace

std::vector<GeneratedSequence> greedy_or_sample(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                                const GenerationConfig& config, const ResolvedGeneration& resolved) {
  const int vocab = model.vocab_size();
  const bool sampling = resolved.mode == DecodingMode::kSample;
  const int per_image = config.num_return_sequences;  // 1 for greedy (checked by resolve_generation)
  const LogitsProcessorList processors(config, resolved);
  const LogitsWarperList warpers(config);

  std::vector<int> images(static_cast<size_t>(num_images));
  for (int i = 0; i < num_images; ++i) images[static_cast<size_t>(i)] = i;
  std::vector<float> logits;
  model.start(images, prompt, logits);
  check_logits(logits, images.size(), vocab);

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

  std::vector<float> raw_logprobs(static_cast<size_t>(vocab)), scores(static_cast<size_t>(vocab)),
      probs(static_cast<size_t>(vocab));
  while (!rows.empty()) {
    std::vector<Row> running;
    std::vector<int> parent;
    std::vector<int32_t> next_token;
    for (Row& row : rows) {
      std::span<const float> raw(logits.data() + static_cast<size_t>(row.model_row) * vocab, static_cast<size_t>(vocab));
      log_softmax(raw, raw_logprobs);
      scores.assign(raw.begin(), raw.end());
      processors.apply(row.tokens, scores);
      int32_t token = 0;
      if (sampling) {
        warpers.apply(scores);
        softmax(scores, probs);
        token = sample_categorical(probs, row.rng);
      } else {
        token = argmax(scores);
      }
      const float logprob = raw_logprobs[static_cast<size_t>(token)];
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
    model.step(parent, next_token, logits);
    check_logits(logits, parent.size(), vocab);
  }
  return results;
}

}  // namespace vkcap
