// `_beam_search` + `BeamSearchScorer` of transformers 4.40, per image:
//   beam_scores = [0, −1e9, …] (float32) so the first step expands beam 0 only;
//   each step: scores = log_softmax(logits) → processors (on log-probs) → + beam_score, all
//   float32; topk over num_beams·V of max(2, 1 + n_eos)·num_beams candidates, sorted descending;
//   `process`: walk the candidates in order — an EOS candidate ranked < num_beams becomes a
//   hypothesis (sum_logprobs = its score, generated_len = cur_len + 1 − prompt_len, counting the
//   EOS), one ranked lower is skipped, the others fill the num_beams next beams; the image is
//   done when BeamHypotheses::is_done says so for this step's best candidate score;
//   stop when every image is done or the sequences reach max_length; `finalize` adds the running
//   beams of images not done, picks the best, and appends EOS to a hypothesis shorter than
//   max_length.
// Ties in topk: torch.topk gives no order for equal values; here the lower flat index
// (beam·V + token) comes first. Done images are dropped from the model (HF pads them).
#include <algorithm>
#include <vector>

#include "generate/beam_hypotheses.h"
#include "generate/decoding.h"
#include "generate/logits_processors.h"
#include "util/error.h"

namespace vkcap::generate {
namespace {

struct Beam {
  std::vector<int32_t> tokens;
  float score = 0.0f;  // beam_scores: a float32 tensor in HF
  std::vector<GeneratedStep> steps;
  int model_row = 0;
};

struct ImageSearch {
  BeamHypotheses hypotheses;
  bool done = false;
  std::vector<Beam> beams;
};

struct Candidate {
  float score;
  int index;  // beam · V + token
  float logprob = 0.0f;  // the token's processed log-probability (score minus the beam's)
};

bool ranks_before(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// The k best of `scores`, sorted descending, equal scores by lower index.
std::vector<Candidate> top_candidates(std::span<const float> scores, size_t k) {
  const auto better = ranks_before;
  std::vector<Candidate> top;
  top.reserve(k + 1);
  for (size_t i = 0; i < scores.size(); ++i) {
    Candidate c{scores[i], static_cast<int>(i)};
    if (top.size() == k && !better(c, top.back())) continue;
    top.insert(std::upper_bound(top.begin(), top.end(), c, better), c);
    if (top.size() > k) top.pop_back();
  }
  return top;
}

// Extra candidates a row's top-k selection brings beyond the num_candidates a step keeps: adding
// the beam score can round two log-probabilities to the same total, and the tie then goes to
// the lower index, which may sit just below a row's cut.
constexpr int kSelectionSlack = 2;

// The step's candidates from each beam's top-k selection: the same totals as the whole-row path
// (log_softmax, banned tokens dropped, + beam score, all float32), from the few tokens that can
// rank among the k best.
std::vector<Candidate> selected_candidates(const TopLogits& top, const std::vector<Beam>& beams,
                                           const LogitsProcessorList& processors, size_t vocab, size_t k) {
  std::vector<Candidate> all;
  for (size_t b = 0; b < beams.size(); ++b) {
    const Beam& beam = beams[b];
    const std::vector<int32_t> banned = *processors.banned_tokens(beam.tokens);
    const size_t row = static_cast<size_t>(beam.model_row);
    for (size_t rank = 0; rank < static_cast<size_t>(top.k); ++rank) {
      const int32_t id = top.ids[row * static_cast<size_t>(top.k) + rank];
      if (std::find(banned.begin(), banned.end(), id) != banned.end()) continue;
      const float logprob = top.log_prob(row, rank);
      all.push_back({logprob + beam.score, static_cast<int>(b * vocab + static_cast<size_t>(id)), logprob});
    }
  }
  std::sort(all.begin(), all.end(), ranks_before);
  if (all.size() > k) all.resize(k);
  return all;
}

// k for the next call: every candidate a step may keep, from any one beam, plus slack and bans.
int beam_top_k(const StepModel& model, const LogitsProcessorList& processors, size_t num_candidates,
               const std::vector<ImageSearch>& searches) {
  std::vector<const std::vector<int32_t>*> histories;
  for (const ImageSearch& search : searches)
    if (!search.done)
      for (const Beam& beam : search.beams) histories.push_back(&beam.tokens);
  return top_k_for(model, processors, static_cast<int>(num_candidates) + kSelectionSlack, histories);
}

}  // namespace

std::vector<GeneratedSequence> beam_search(StepModel& model, std::span<const int32_t> prompt, int num_images,
                                           const GenerationConfig& config, const ResolvedGeneration& resolved) {
  const int vocab = model.vocab_size();
  const size_t V = static_cast<size_t>(vocab);
  const int num_beams = config.num_beams;
  const int prompt_len = resolved.prompt_len;
  const LogitsProcessorList processors(config, resolved);
  const int n_eos = static_cast<int>(config.eos_token_id.size());
  const size_t num_candidates = static_cast<size_t>(std::max(2, 1 + n_eos) * num_beams);

  std::vector<int> images(static_cast<size_t>(num_images));
  std::vector<ImageSearch> searches;
  for (int image = 0; image < num_images; ++image) {
    images[static_cast<size_t>(image)] = image;
    ImageSearch search{BeamHypotheses(num_beams, config.length_penalty, config.early_stopping, resolved.max_length),
                       false, {}};
    for (int k = 0; k < num_beams; ++k)
      // Every beam starts from the image's single prompt row (HF runs the prompt num_beams times).
      search.beams.push_back({{prompt.begin(), prompt.end()}, k == 0 ? 0.0f : -1e9f, {}, image});
    searches.push_back(std::move(search));
  }
  StepResult result;
  call_start(model, images, prompt, beam_top_k(model, processors, num_candidates, searches), result);

  std::vector<float> processed(static_cast<size_t>(num_beams) * V), totals(processed.size());
  int cur_len = prompt_len;
  while (true) {
    for (ImageSearch& search : searches) {
      if (search.done) continue;
      std::vector<Candidate> candidates;
      if (result.whole_rows()) {
        for (int k = 0; k < num_beams; ++k) {
          const Beam& beam = search.beams[static_cast<size_t>(k)];
          std::span<float> row(processed.data() + static_cast<size_t>(k) * V, V);
          log_softmax(std::span<const float>(result.logits.data() + static_cast<size_t>(beam.model_row) * V, V), row);
          processors.apply(beam.tokens, row);
          for (size_t t = 0; t < V; ++t) totals[static_cast<size_t>(k) * V + t] = row[t] + beam.score;
        }
        candidates = top_candidates(totals, num_candidates);
        for (Candidate& c : candidates) c.logprob = processed[static_cast<size_t>(c.index)];
      } else {
        candidates = selected_candidates(result.top, search.beams, processors, V, num_candidates);
      }

      // BeamSearchScorer.process
      const int candidate_len = cur_len + 1;
      std::vector<Beam> next_beams;
      for (size_t rank = 0; rank < candidates.size(); ++rank) {
        const Candidate& c = candidates[rank];
        const Beam& from = search.beams[static_cast<size_t>(c.index) / V];
        const int32_t token = static_cast<int32_t>(static_cast<size_t>(c.index) % V);
        const GeneratedStep step{token, c.logprob};
        if (is_eos(config, token)) {
          if (rank >= static_cast<size_t>(num_beams)) continue;
          BeamHypothesis hypothesis{0.0, from.tokens, from.steps, true};
          if (config.record_steps) hypothesis.steps.push_back(step);
          search.hypotheses.add(std::move(hypothesis), static_cast<double>(c.score), candidate_len - prompt_len);
        } else {
          Beam next{from.tokens, c.score, from.steps, from.model_row};
          next.tokens.push_back(token);
          if (config.record_steps) next.steps.push_back(step);
          next_beams.push_back(std::move(next));
        }
        if (static_cast<int>(next_beams.size()) == num_beams) break;
      }
      if (static_cast<int>(next_beams.size()) < num_beams)
        throw Error("beam search: fewer than num_beams = " + std::to_string(num_beams) +
                    " candidates that are not EOS (too many eos_token_id or a tiny vocabulary)");
      search.beams = std::move(next_beams);
      search.done = search.hypotheses.is_done(static_cast<double>(candidates.front().score), candidate_len, prompt_len);
    }
    ++cur_len;

    const bool all_done = std::all_of(searches.begin(), searches.end(), [](const ImageSearch& s) { return s.done; });
    if (all_done || cur_len >= resolved.max_length) break;

    // `_reorder_cache(past, beam_idx)` and the next input tokens, for images still searching.
    std::vector<int> parent;
    std::vector<int32_t> next_token;
    for (ImageSearch& search : searches) {
      if (search.done) continue;
      for (Beam& beam : search.beams) {
        parent.push_back(beam.model_row);
        next_token.push_back(beam.tokens.back());
        beam.model_row = static_cast<int>(parent.size()) - 1;
      }
    }
    call_step(model, parent, next_token, beam_top_k(model, processors, num_candidates, searches), result);
  }

  // BeamSearchScorer.finalize
  std::vector<GeneratedSequence> results;
  for (int image = 0; image < num_images; ++image) {
    ImageSearch& search = searches[static_cast<size_t>(image)];
    if (!search.done)
      for (Beam& beam : search.beams) {
        const int generated_len = static_cast<int>(beam.tokens.size()) - prompt_len;
        // final_beam_scores[i].item(): the float32 beam score as a double.
        search.hypotheses.add({0.0, std::move(beam.tokens), std::move(beam.steps), false},
                              static_cast<double>(beam.score), generated_len);
      }
    for (BeamHypothesis& best : search.hypotheses.best(config.num_return_sequences)) {
      GeneratedSequence out;
      out.image = image;
      out.tokens = std::move(best.tokens);
      if (static_cast<int>(out.tokens.size()) < resolved.max_length && !config.eos_token_id.empty())
        out.tokens.push_back(config.eos_token_id.front());
      out.new_tokens.assign(out.tokens.begin() + std::min<size_t>(out.tokens.size(), static_cast<size_t>(prompt_len)),
                            out.tokens.end());
      out.score = static_cast<float>(best.score);  // stored into a float32 `sequence_scores` tensor
      out.finish_reason = best.ended_with_eos ? "eos" : "length";
      out.steps = std::move(best.steps);
      results.push_back(std::move(out));
    }
  }
  return results;
}

}  // namespace vkcap::generate
