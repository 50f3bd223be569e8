"""Recognise text that Whisper invented rather than heard.

Two failure modes matter on calls: repetition loops ("统统统统…", "借呗借呗借呗…") and stock
phrases from subtitle-heavy training data that appear on noise ("请按下点赞订阅"). Pure
functions over strings, so each guard can be tested without the model.
"""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def strip_punctuation(text: str) -> str:
    """Text without spaces and punctuation, for comparisons."""
    return _PUNCT.sub("", text)


def _loop_pattern(min_repeats: int) -> re.Pattern[str]:
    # A unit of 1-8 characters followed by at least (min_repeats - 1) copies of itself.
    return re.compile(r"(.{1,8}?)\1{" + str(min_repeats - 1) + ",}", re.DOTALL)


def has_loop(text: str, min_repeats: int = 4) -> bool:
    """True when some unit of 1-8 characters repeats `min_repeats` times in a row.

    Digits are left alone up to NUMERAL_LOOP_CHARS characters: a number read out ("一一一",
    "8888") repeats legitimately, but not twelve times over.
    """
    compact = strip_punctuation(text)
    for match in _loop_pattern(min_repeats).finditer(compact):
        if not _is_numeral(match.group(1)) or len(match.group(0)) >= NUMERAL_LOOP_CHARS:
            return True
    return False


def collapse_loops(text: str, min_repeats: int = 4, keep: int = 2) -> str:
    """Cut each run of `min_repeats`+ repeats of a unit down to `keep` copies."""
    pattern = re.compile(
        r"((.{1,8}?)(?:[\s，,、。]*))\1{" + str(min_repeats - 1) + ",}", re.DOTALL
    )

    def shorten(match: re.Match[str]) -> str:
        if _is_numeral(match.group(2)) and len(match.group(0)) < NUMERAL_LOOP_CHARS:
            return match.group(0)
        return match.group(1) * keep

    return pattern.sub(shorten, text)


def is_stock_phrase(text: str, phrases: list[str]) -> bool:
    """True when the text is nothing but one of the known stock hallucinations."""
    compact = strip_punctuation(text).lower()
    if not compact:
        return False
    for phrase in phrases:
        known = strip_punctuation(phrase).lower()
        if known and (compact == known or (known in compact and len(compact) <= len(known) + 4)):
            return True
    return False


NUMERAL_LOOP_CHARS = 10  # a run of one repeated numeral this long is a loop, not a number
_NUMERALS = set("0123456789零〇一二三四五六七八九十百千万两幺")


def _is_numeral(unit: str) -> bool:
    return all(ch in _NUMERALS for ch in unit)
