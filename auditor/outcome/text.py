"""Small helpers for matching cue phrases in one line of a transcript."""

from __future__ import annotations

from collections.abc import Iterable

_LEADING = " \t，,。.！!？?、…~～"


def blank(text: str, phrases: Iterable[str]) -> str:
    """`text` with every occurrence of `phrases` replaced by spaces of the same length."""
    for p in sorted(phrases, key=len, reverse=True):
        text = text.replace(p, " " * len(p))
    return text


def first_match(text: str, phrases: Iterable[str], unless: Iterable[str] = ()) -> str | None:
    """The longest phrase of `phrases` found in `text` (after blanking `unless`), else None."""
    t = blank(text, unless)
    found = [p for p in phrases if p in t]
    return max(found, key=len) if found else None


def starts_with(text: str, phrases: Iterable[str]) -> str | None:
    """The longest phrase `text` opens with (after punctuation and a leading 那), else None."""
    t = text.lstrip(_LEADING)
    if t.startswith("那") and len(t) > 1:
        t = t[1:]
    found = [p for p in phrases if t.startswith(p)]
    return max(found, key=len) if found else None


def han_count(text: str) -> int:
    """Number of spoken characters: CJK ideographs and digits."""
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff" or c.isdigit())
