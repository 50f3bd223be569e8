"""The words a promise rests on, read through the recogniser's homophones.

The recogniser writes what it heard, not what was meant: 欠款 comes out as 千款, 之前 as 支前,
逾期 as 于七, and the single-syllable verb 还 as 海 or 孩. The outcome does not keep lists of such
misspellings; it reuses the compliance package's one owner of "sounds like",
``auditor.compliance.sounds`` (its *matched* strength):

- `heard_as(text, words)` rewrites every span that sounds like one of `words` (toneless pinyin,
  ``heard_as_matched``: ``auditor.compliance.matching.pinyin_spans`` and its false-alarm guards:
  word boundaries, common words only beside a debt anchor, no numerals inside a numeral run) into
  that word, so the cue lists match the canonical copy. The copy has the same length as the text,
  so spans stay valid. The compliance domain words (``packs/context.toml``) are always among the
  words.
- `sounds_like(ch, word)` (``auditor.compliance.sounds.sounds_like``, re-exported) says whether
  one character shares a reading with a one-character word. A single syllable is too weak on its
  own; the callers accept it only in a position that says what it is (a pay verb right before a
  sum or right after a date, a money unit right after a number).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from auditor.compliance.rules import BUILTIN_DIR, Context, load_pack
from auditor.compliance.sounds import heard_as_matched, sounds_like
from auditor.compliance.tokens import tokenize

__all__ = ["concept_members", "context", "heard_as", "sounds_like", "word_starts", "clear_caches"]


@lru_cache(maxsize=1)
def context() -> Context:
    """The compliance matcher's shared settings (``packs/context.toml``), read once."""
    c = load_pack(BUILTIN_DIR / "context.toml").context
    return Context(domain_words=tuple(c.get("domain_words", [])),
                   common_word_freq=int(c.get("common_word_freq", 1000)),
                   pinyin_anchors=tuple(c.get("pinyin_anchors", [])))


@lru_cache(maxsize=8)
def concept_members(name: str) -> tuple[str, ...]:
    """The members and context members of one compliance concept (``packs/concepts.toml``, its
    one owner), e.g. ``closing`` for the agent's polite close."""
    t = load_pack(BUILTIN_DIR / "concepts.toml").concepts.get(name, {})
    return tuple(dict.fromkeys([*t.get("members", []), *t.get("context_members", [])]))


def heard_as(text: str, words: Iterable[str]) -> str:
    """`text` with every span that sounds like one of `words` (or a compliance domain word)
    written as that word; same length as `text`."""
    return heard_as_matched(text, tuple(sorted(set(words) | set(context().domain_words),
                                               key=lambda w: (-len(w), w))), context())


@lru_cache(maxsize=4096)
def word_starts(text: str) -> frozenset[int]:
    """Where the jieba words of `text` start (the compliance tokenizer, its domain dictionary)."""
    out, pos = set(), 0
    for w in tokenize(text):
        out.add(pos)
        pos += len(w)
    return frozenset(out)


def clear_caches() -> None:
    """Empty the per-text caches (for timing a call's extraction cold)."""
    heard_as_matched.cache_clear()
    word_starts.cache_clear()
