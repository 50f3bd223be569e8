"""Character error rate for Mandarin: simplified characters, punctuation and spaces removed."""

from __future__ import annotations

import re

_DROP = re.compile(r"[\W_]+", re.UNICODE)
_to_simplified = None


def normalise(text: str) -> str:
    """Simplified characters with punctuation and spaces removed."""
    global _to_simplified
    if _to_simplified is None:
        from opencc import OpenCC

        _to_simplified = OpenCC("t2s").convert
    return _DROP.sub("", _to_simplified(text)).lower()


def edit_distance(ref: str, hyp: str) -> int:
    """Levenshtein distance between two strings (characters)."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def char_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(errors, reference length) after normalising both sides."""
    r, h = normalise(ref), normalise(hyp)
    return edit_distance(r, h), len(r)
