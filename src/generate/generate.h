#pragma once
// Text generation for every architecture, with transformers 4.40.2's semantics
// (`GenerationMixin.generate` → `_greedy_search` / `_sample` / `_beam_search`).
//
//   StepModel& model = …;                         // the decoder on the GPU
//   GenerationConfig config;                      // HF names and defaults
//   config.max_new_tokens = 12; config.num_beams = 3; config.eos_token_id = {sep_id};
//   auto prompt = decoder_prompt_for_blip({}, bos_id);   // see decoder_prompt.h
//   std::vector<GeneratedSequence> out = generate(model, prompt, num_images, config);
//
// Results are per image (num_return_sequences per image, image-major, best first). HF pads a
// batch's sequences to the longest one with pad_token_id; here each sequence has its own length
// and equals what HF returns for that image alone (rows never influence each other).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "generate/generation_config.h"
#include "generate/step_model.h"

namespace vkcap::generate {

struct GeneratedStep {
  int32_t token = 0;
  // Greedy / sampling: log_softmax of the model's raw logits at the chosen token (before any
  // processor or warper). Beam search: the step's increase of the beam score, i.e. the processed
  // log-prob that beam search summed (equal to the raw one when no processor is active).
  float logprob = 0.0f;
};

struct GeneratedSequence {
  int image = 0;
  std::vector<int32_t> tokens;      // what `generate` returns: decoder prompt + new tokens
  std::vector<int32_t> new_tokens;  // tokens after the decoder prompt (EOS included when produced)
  // Beam search: HF's `sequences_scores` — sum of processed log-probs / generated_len^length_penalty
  // (generated_len counts the EOS). Greedy / sampling: the mean over new tokens of the raw
  // log-prob of each chosen token (GeneratedStep::logprob), i.e. the average log-likelihood.
  float score = 0.0f;
  std::string finish_reason;        // "eos" or "length"
  std::vector<GeneratedStep> steps; // one per new token when GenerationConfig::record_steps
};

// Runs generation for `num_images` images (the model's image indices 0 … num_images-1) with one
// shared decoder prompt. Throws vkcap::Error for invalid configs, for a max_length beyond the
// model's positions, or when the model returns logits of the wrong size.
std::vector<GeneratedSequence> generate(StepModel& model, std::span<const int32_t> decoder_prompt, int num_images,
                                        const GenerationConfig& config);

}  // namespace vkcap::generate
