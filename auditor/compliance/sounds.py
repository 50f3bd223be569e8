"""What recognised text is *heard as*: spans that sound like a known word, written as that word.

The recogniser writes what it heard, not what was meant (工号 -> 功耗, 客服 -> 克服, 欠款 -> 千款,
借过 -> 借国, 还 -> 海). This module is the one owner of "sounds like"; the toneless readings it
rests on are ``auditor.compliance.tokens`` (``char_readings``, ``phrase_pinyin``). Every rewrite
keeps the text's length, so spans found in the copy stay valid in the original. "Sounds like"
comes in two strengths, and each caller picks the one its words can bear:

- **Fuzzy** (`heard_as_fuzzy`, used by the script steps, ``auditor.compliance.steps``): toneless
  pinyin with the confusions input methods offer as "fuzzy pinyin" (模糊音: z/zh, c/ch, s/sh, n/l,
  r/l, an/ang, en/eng, in/ing, ian/iang, uan/uang) merged (`fuzzy_syllable`, `char_keys`). It is
  loose, so it is used only for the step words (`SoundIndex`: words of two or more Han characters
  from the step word classes), which the steps then read in a frame (我是 + role, 工号 + digits,
  a name + 吗). Never over a numeral (零四 is no 您是), and a step word already written right is
  never overwritten.
- **Matched** (`heard_as_matched`, used by the outcome cues, ``auditor.outcome.sounds``): exact
  toneless pinyin through the rule matcher, ``auditor.compliance.matching.pinyin_spans``, with its
  false-alarm guards (word boundaries, common words only beside a debt anchor, no numerals inside
  a numeral run), clause by clause, longest word first. It is strict, because the outcome cue
  words (之前, 待还, 借过 ...) are everyday words that a loose match would find everywhere.
- `sounds_like(ch, word)`: one character sharing a toneless reading with a one-character word
  (海 and 孩 with 还). A single syllable is too weak on its own; the callers accept it only in a
  position that says what it is (a pay verb right before a sum, a money unit after a number).

Both rewrites are cached with ``functools.lru_cache`` on their (hashable) arguments: the text and
the words' content, never an object's identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from auditor.compliance.matching import pinyin_spans
from auditor.compliance.rules import Context
from auditor.compliance.tokens import char_readings, is_han, phrase_pinyin, split_clauses

# ----------------------------------------------------------------------------- fuzzy syllables
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q",
             "x", "r", "z", "c", "s", "y", "w")
_INITIAL_MERGE = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "r": "l"}
_FINAL_MERGE = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))
# Numerals are never rewritten by the fuzzy match (digits carry their own meaning).
_NUMERAL = re.compile("[0-9零〇一二三四五六七八九幺两十百千万]")

Key = tuple[str, str]


def _split_syllable(syl: str) -> tuple[str, str]:
    for ini in _INITIALS:
        if syl.startswith(ini) and len(syl) > len(ini):
            return ini, syl[len(ini):]
    return "", syl


@lru_cache(maxsize=8192)
def fuzzy_syllable(syl: str) -> Key:
    """(initial, final) of a toneless syllable with the fuzzy-pinyin pairs merged."""
    ini, fin = _split_syllable(syl)
    ini = _INITIAL_MERGE.get(ini, ini)
    for long, short in _FINAL_MERGE:
        if fin.endswith(long):
            fin = fin[: -len(long)] + short
            break
    return ini, fin


@lru_cache(maxsize=8192)
def char_keys(ch: str) -> frozenset[Key]:
    """The fuzzy syllables of every reading of one character (none for a non-Han one)."""
    if not is_han(ch):
        return frozenset()
    return frozenset(fuzzy_syllable(r) for r in char_readings(ch))


def word_keys(word: str) -> tuple[Key, ...]:
    """The fuzzy syllables of a word's context-chosen reading (empty unless all Han)."""
    return tuple(fuzzy_syllable(s) for s in phrase_pinyin(word))


@dataclass(frozen=True)
class SoundIndex:
    """Words of two or more Han characters by their first fuzzy syllable, longest first.

    Equal and hashed by its words (`words`, the sorted input), so it can key a cache; the lookup
    table is read-only."""

    words: tuple[str, ...]
    by_first: Mapping[str, tuple[tuple[str, tuple[Key, ...]], ...]] = field(
        compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, words: Sequence[str]) -> SoundIndex:
        index: dict[str, list[tuple[str, tuple[Key, ...]]]] = {}
        ordered = sorted(set(words), key=len, reverse=True)
        for w in ordered:
            keys = word_keys(w)
            if len(w) >= 2 and len(keys) == len(w):
                index.setdefault("".join(keys[0]), []).append((w, keys))
        return cls(tuple(sorted(set(words))),
                   MappingProxyType({k: tuple(v) for k, v in index.items()}))


@lru_cache(maxsize=16384)
def heard_as_fuzzy(text: str, index: SoundIndex) -> str:
    """`text` with every span that sounds (fuzzy pinyin) like a word of `index` written as that
    word; numerals and words already written right are kept; same length as `text`."""
    sound = index.by_first
    chars, i = list(text), 0
    kept = [False] * len(text)  # a word written right is never overwritten
    for words in sound.values():
        for word, _ in words:
            for m in re.finditer(re.escape(word), text):
                kept[m.start():m.end()] = [True] * len(word)
    while i < len(text):
        step = 1
        for key in char_keys(text[i]):
            for word, keys in sound.get("".join(key), ()):
                n = len(word)
                span = text[i:i + n]
                if span != word and len(span) == n \
                        and all(span[k] == word[k] for k in range(n) if kept[i + k]) \
                        and not _NUMERAL.search(span) and all(
                        keys[k] in char_keys(span[k]) for k in range(n)):
                    chars[i:i + n] = list(word)
                    step = n
                    break
            if step > 1:
                break
        i += step
    return "".join(chars)


# ----------------------------------------------------------------------------- matched pinyin
@lru_cache(maxsize=8192)
def heard_as_matched(text: str, words: tuple[str, ...], ctx: Context) -> str:
    """`text` with every span that sounds like one of `words` (exact toneless pinyin and the
    matcher's guards, ``pinyin_spans`` under `ctx`) written as that word, clause by clause, the
    words tried in the given order and a span never rewritten twice; same length as `text`."""
    if not any(is_han(c) for c in text):
        return text
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


def sounds_nearly(span: str, word: str) -> bool:
    """Whether `span` sounds like `word` of three or more syllables on all of them but one (fuzzy
    pinyin), that one sharing its initial: a word heard with one final lost (剩五号 for 上午好).
    Weaker than `heard_as_fuzzy`: callers accept it only where the word belongs (the clause
    that opens the agent's first turn, for a greeting)."""
    keys = word_keys(word)
    if len(span) != len(word) or len(keys) != len(word) or len(word) < 3:
        return False
    off = 0
    for ch, want in zip(span, keys, strict=True):
        got = char_keys(ch)
        if want in got:
            continue
        off += 1
        if off > 1 or not any(k[0] == want[0] for k in got):
            return False
    return True


def sounds_like(ch: str, word: str) -> bool:
    """Whether the character `ch` shares a toneless reading with the one-character `word`
    (海 and 孩 with 还, whose readings are huan and hai)."""
    return len(word) == 1 and is_han(ch) and bool(char_readings(ch) & char_readings(word))

