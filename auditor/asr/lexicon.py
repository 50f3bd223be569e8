"""Choose among the beam's readings of a window by how Chinese their words are.

Whisper base often writes a Mandarin word as characters of the same sound that make no word
(逾期 as 于七, 欠款 as 千款); the beam usually holds the right reading a little further down.
Beam search already finishes `beam_size` readings of every window, so asking CTranslate2 for all
of them costs next to nothing; each is then scored by the decoder's own length-normalised
log-probability plus `weight` times the mean per-character log-probability of the text under
jieba's word-frequency dictionary (its best segmentation, the same dictionary and domain words
the rules tokenise with), and the best total is kept. Weight 0 keeps the decoder's first choice.

Numbers are not the dictionary's to judge (it prefers 要 to 幺 and 一 to any digit read out): a
reading whose numbers (Arabic digits, runs of NUMBER_RUN numerals or more) differ from the
decoder's first choice is never taken. A lone numeral stays open to it: 于七 is 逾期 misheard.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from auditor.asr import hallucination
from auditor.asr.digits import as_arabic, numeral_runs


def lexicon_logprob(text: str, tokenizer) -> float:
    """Mean log-probability per character of `text` (punctuation removed) under the best
    segmentation of jieba `tokenizer`'s dictionary (a character it does not know counts as a
    word seen once); 0.0 for no text."""
    core = hallucination.strip_punctuation(text)
    if not core:
        return 0.0
    tokenizer.check_initialized()
    dag = tokenizer.get_DAG(core)
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(core, dag, route)
    return route[0][0] / len(core)


NUMBER_RUN = 3  # numerals in a row that make a number read out, not a word's character


def numbers(text: str) -> list[str]:
    """The numbers of `text` in order (Arabic digit runs, and runs of at least NUMBER_RUN
    numerals), each digit written one way (一 and 幺 as 1)."""
    return [as_arabic(run) for run in numeral_runs(text)
            if len(run) >= NUMBER_RUN or any(c.isascii() for c in run)]


def best_reading(readings: Sequence[tuple[str, float]], weight: float,
                 score_text: Callable[[str], float]) -> int:
    """Index of the reading (text, decoder score) with the highest decoder score plus `weight`
    times `score_text(text)`, among those with the first reading's numbers; the first (the
    decoder's choice) when `weight` is 0 or on a tie."""
    if weight <= 0 or len(readings) < 2:
        return 0
    number = numbers(readings[0][0])
    totals = [score + weight * score_text(text)
              if text.strip() and (i == 0 or numbers(text) == number) else -math.inf
              for i, (text, score) in enumerate(readings)]
    best = max(range(len(totals)), key=lambda i: (totals[i], -i))
    return best if totals[best] > -math.inf else 0
