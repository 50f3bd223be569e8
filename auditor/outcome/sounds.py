"""The words a promise rests on, read through the recogniser's homophones.

The recogniser writes what it heard, not what was meant: 欠款 comes out as 千款, 之前 as 支前,
逾期 as 于七, and the single-syllable verb 还 as 海 or 孩. The outcome does not keep lists of such
misspellings; it reuses the compliance package's one pinyin matcher:

- `heard_as(text, words)` rewrites every span that sounds like one of `words` (toneless pinyin,
  with ``auditor.compliance.matching.pinyin_spans`` and its false-alarm guards: word boundaries,
  common words only beside a debt anchor, no numerals inside a numeral run) into that word, so
  the cue lists match the canonical copy. The copy has the same length as the text, so spans stay
  valid. The compliance domain words (``packs/context.toml``) are always among the words.
- `sounds_like(ch, word)` says whether one character shares a reading with a one-character word
  (``auditor.compliance.tokens.char_readings``). A single syllable is too weak on its own; the
  callers accept it only in a position that says what it is (a pay verb right before a sum or
  right after a date, a money unit right after a number).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from auditor.compliance.matching import pinyin_spans
from auditor.compliance.rules import BUILTIN_DIR, Context, load_pack
from auditor.compliance.tokens import char_readings, is_han, split_clauses, tokenize


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
    return _heard_as(text, tuple(sorted(set(words) | set(context().domain_words),
                                        key=lambda w: (-len(w), w))))


@lru_cache(maxsize=8192)
def _heard_as(text: str, words: tuple[str, ...]) -> str:
    if not any(is_han(c) for c in text):
        return text
    ctx = context()
    chars = list(text)
    taken: list[tuple[int, int]] = []
    for clause in split_clauses(text):
        for w in words:
            for s, e in pinyin_spans(clause, w, ctx):
                s, e = s + clause.offset, e + clause.offset
                if any(s < te and ts < e for ts, te in taken):
                    continue
                chars[s:e] = list(w)
                taken.append((s, e))
    return "".join(chars)


def sounds_like(ch: str, word: str) -> bool:
    """Whether the character `ch` shares a toneless reading with the one-character `word`
    (海 and 孩 with 还, whose readings are huan and hai)."""
    return len(word) == 1 and is_han(ch) and bool(char_readings(ch) & char_readings(word))


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
    _heard_as.cache_clear()
    word_starts.cache_clear()
