#!/usr/bin/python3
"""Florence-2's task prompts and their token ids, as Florence2Processor builds them: the task
token is replaced by its prompt (tasks with an input put the text inside it), then BartTokenizer
(byte-level BPE: GPT-2's merges, RoBERTa's ids) encodes `<s> prompt </s>`. Enough for the
prompts' plain ASCII: the pre-tokenizer's \\p{L} / \\p{N} classes are approximated with Python's
`re` (letters = [^\\W\\d_], numbers = \\d).
"""
import json
import os
import re

# (task token, vkcap's --task name, prompt before the input, after it), in the processor's order.
TASKS = [
    ("<OCR>", "ocr", "What is the text in the image?", None),
    ("<OCR_WITH_REGION>", "ocr-with-region", "What is the text in the image, with regions?", None),
    ("<CAPTION>", "caption", "What does the image describe?", None),
    ("<DETAILED_CAPTION>", "detailed-caption", "Describe in detail what is shown in the image.", None),
    ("<MORE_DETAILED_CAPTION>", "more-detailed-caption", "Describe with a paragraph what is shown in the image.", None),
    ("<OD>", "od", "Locate the objects with category name in the image.", None),
    ("<DENSE_REGION_CAPTION>", "dense-region-caption", "Locate the objects in the image, with their descriptions.", None),
    ("<REGION_PROPOSAL>", "region-proposal", "Locate the region proposals in the image.", None),
    ("<CAPTION_TO_PHRASE_GROUNDING>", "phrase-grounding", "Locate the phrases in the caption: ", ""),
    ("<OPEN_VOCABULARY_DETECTION>", "open-vocabulary-detection", "Locate ", " in the image."),
]

_PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")


def task_prompt(text):
    """'<CAPTION>' → its prompt; '<CAPTION_TO_PHRASE_GROUNDING>a red car' → prompt with the input;
    a CLI name ('detailed-caption') works as the token does."""
    for token, name, before, after in TASKS:
        for key in (token, name):
            if after is None and text == key:
                return before
            if after is not None and text.startswith(key):
                return before + text[len(key):] + after
    return text


def _bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    extra = [b for b in range(256) if b not in keep]
    return {b: chr(b) for b in keep} | {b: chr(256 + i) for i, b in enumerate(extra)}


class BartTokenizer:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
            self.vocab = json.load(f)
        with open(os.path.join(model_dir, "merges.txt"), encoding="utf-8") as f:
            lines = [line.split() for line in f.read().split("\n")[1:] if line.strip()]
        self.ranks = {tuple(pair): i for i, pair in enumerate(lines)}
        self.byte_chars = _bytes_to_unicode()

    def _bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            pairs = [(self.ranks.get(p, float("inf")), i) for i, p in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == float("inf"):
                break
            first, second, merged, j = parts[i], parts[i + 1], [], 0
            while j < len(parts):  # merge every occurrence of the pair, left to right
                if j + 1 < len(parts) and parts[j] == first and parts[j + 1] == second:
                    merged.append(first + second)
                    j += 2
                else:
                    merged.append(parts[j])
                    j += 1
            parts = merged
        return parts

    def encode(self, text):
        """<s> text </s> as ids (bos 0, eos 2)."""
        ids = [self.vocab["<s>"]]
        for piece in _PRETOKENIZE.findall(text):
            word = "".join(self.byte_chars[b] for b in piece.encode("utf-8"))
            ids += [self.vocab[p] for p in self._bpe(word)]
        return ids + [self.vocab["</s>"]]


def prompt_ids(model_dir, task):
    return BartTokenizer(model_dir).encode(task_prompt(task))
