#!/usr/bin/python3
"""transformers 4.40.2's `generate` for one Florence-2 image, in plain PyTorch: greedy search and
beam search (BeamSearchScorer, BeamHypotheses) with the logits processors Florence-2's settings
switch on, in transformers' order — no-repeat n-gram, min length / min new tokens (EOS masked),
forced BOS at the first step, forced EOS at max_length − 1 — and the image, BART-encoder and
decoding stages timed apart. The model is florence2_torch.Florence2.
"""
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Settings:
    num_beams: int = 1
    max_new_tokens: int = 20
    min_new_tokens: int = 0          # > 0 masks EOS until that many tokens exist
    no_repeat_ngram_size: int = 0
    early_stopping: bool = True      # Florence-2's generation_config
    length_penalty: float = 1.0
    start: int = 2                   # decoder_start_token_id
    bos: int = 0                     # forced_bos_token_id
    eos: int = 2                     # eos_token_id = forced_eos_token_id

    @classmethod
    def card(cls, generation_config, **overrides):
        """The checkpoint's generation_config.json (what Florence-2's model card runs)."""
        g = generation_config
        fields = dict(num_beams=g.get("num_beams", 1), no_repeat_ngram_size=g.get("no_repeat_ngram_size", 0),
                      early_stopping=g.get("early_stopping", False), start=g.get("decoder_start_token_id", 2),
                      bos=g.get("forced_bos_token_id", 0), eos=g.get("forced_eos_token_id", g.get("eos_token_id", 2)))
        fields.update(overrides)
        return cls(**fields)


def banned_by_ngrams(tokens, n):
    """NoRepeatNGramLogitsProcessor: tokens that would repeat an n-gram of `tokens`."""
    if len(tokens) + 1 < n:
        return []
    prefix = tuple(tokens[len(tokens) - n + 1:])
    return [tokens[i + n - 1] for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n - 1]) == prefix]


def process(scores, sequences, s, max_length):
    """The logits processors on a [rows, V] score matrix (raw logits greedy, log-probs in beams)."""
    cur_len = len(sequences[0])
    if s.no_repeat_ngram_size > 0:
        for row, tokens in enumerate(sequences):
            scores[row, banned_by_ngrams(tokens, s.no_repeat_ngram_size)] = float("-inf")
    if cur_len - 1 < s.min_new_tokens:  # min_length = min_new_tokens + the start token
        scores[:, s.eos] = float("-inf")
    forced = s.bos if cur_len == 1 else s.eos if cur_len == max_length - 1 else None
    if forced is not None:
        scores.fill_(float("-inf"))
        scores[:, forced] = 0
    return scores


def greedy(step, s, first_logits):
    sequence, caches, max_length = [s.start], None, 1 + s.max_new_tokens
    while True:
        logits, caches = step(torch.tensor([[sequence[-1]]]), caches)
        if len(sequence) == 1:
            first_logits.append(logits[0].clone())
        token = int(process(logits, [sequence], s, max_length)[0].argmax())
        sequence.append(token)
        if token == s.eos or len(sequence) >= max_length:
            return sequence, None


class Hypotheses:
    """BeamHypotheses: the best num_beams finished sequences by length-normalised score."""
    def __init__(self, s):
        self.s, self.beams, self.worst = s, [], 1e9

    def add(self, tokens, sum_logprobs, generated_len):
        score = sum_logprobs / generated_len ** self.s.length_penalty
        if len(self.beams) < self.s.num_beams or score > self.worst:
            self.beams.append((score, tokens))
            if len(self.beams) > self.s.num_beams:
                ranked = sorted((sc, i) for i, (sc, _) in enumerate(self.beams))
                del self.beams[ranked[0][1]]
                self.worst = ranked[1][0]
            else:
                self.worst = min(score, self.worst)

    def done(self, best_sum_logprobs, cur_len):
        if len(self.beams) < self.s.num_beams:
            return False
        if self.s.early_stopping:
            return True
        return self.worst >= best_sum_logprobs / (cur_len - 1) ** self.s.length_penalty


def beam_search(step, s, first_logits):
    nb, max_length = s.num_beams, 1 + s.max_new_tokens
    sequences = [[s.start] for _ in range(nb)]
    beam_scores = torch.tensor([0.0] + [-1e9] * (nb - 1))
    hyps, caches, done = Hypotheses(s), None, False
    while True:
        logits, caches = step(torch.tensor([[q[-1]] for q in sequences]), caches)
        if len(sequences[0]) == 1:
            first_logits.append(logits[0].clone())
        scores = process(F.log_softmax(logits, dim=-1), sequences, s, max_length) + beam_scores[:, None]
        vocab = scores.shape[1]
        top_scores, top_ids = scores.view(-1).topk(2 * nb)
        cur_len = len(sequences[0]) + 1
        kept = []  # (score, beam, token) of the next running beams
        for rank, (score, index) in enumerate(zip(top_scores.tolist(), top_ids.tolist())):
            beam, token = divmod(index, vocab)
            if token == s.eos:
                if rank < nb:
                    hyps.add(sequences[beam], score, cur_len - 1)
            else:
                kept.append((score, beam, token))
            if len(kept) == nb:
                break
        done = done or hyps.done(float(top_scores.max()), cur_len)
        order = torch.tensor([b for _, b, _ in kept])
        sequences = [sequences[b] + [t] for _, b, t in kept]
        beam_scores = torch.tensor([sc for sc, _, _ in kept])
        caches = [((k.index_select(0, order), v.index_select(0, order)), cross) for (k, v), cross in caches]
        if done or len(sequences[0]) >= max_length:
            break
    if not done:
        for tokens, score in zip(sequences, beam_scores.tolist()):
            hyps.add(tokens, score, len(tokens) - 1)
    score, best = sorted(hyps.beams, key=lambda h: h[0])[-1]
    return (best + [s.eos] if len(best) < max_length else best), score


@torch.no_grad()
def caption(model, pixels, prompt_ids, s):
    """Runs one image like Florence2ForConditionalGeneration.generate. Returns a dict: sequence,
    score (beams), first_logits, tower, features, memory, and vision/text_encoder/decode ms."""
    t0 = time.perf_counter()
    tower, size = model.vision_tower(pixels)
    features = model.project(tower, size)
    t1 = time.perf_counter()
    memory = model.encode_text(features, torch.tensor([prompt_ids]))
    t2 = time.perf_counter()
    beams_memory = memory.repeat_interleave(s.num_beams, dim=0)
    first_logits = []

    def step(ids, caches):
        return model.decode_step(ids, beams_memory, caches)

    sequence, score = (greedy if s.num_beams == 1 else beam_search)(step, s, first_logits)
    t3 = time.perf_counter()
    return {"sequence": sequence, "score": score, "first_logits": first_logits[0], "tower": tower,
            "features": features, "memory": memory, "vision_ms": (t1 - t0) * 1e3,
            "text_encoder_ms": (t2 - t1) * 1e3, "decode_ms": (t3 - t2) * 1e3}
