"""Tokenisation and toneless pinyin for rule matching.

jieba splits a clause into words, using its own dictionary plus
``auditor/compliance/data/userdict.txt`` (domain words such as 花呗, 借呗, 逾期, 征信, 工号,
so they come out as one word). The rules only look at *where* words start and end
(``Clause.bounds``): a phrase matches when its ends fall on word boundaries, so 坐牢 does
not match inside 坐牢固.

Pinyin is toneless (pypinyin ``Style.NORMAL``). For the text side every character carries the set
of all its readings (heteronyms), so a polyphonic character (还 huan/hai) can match either way; a
phrase uses its single, context-chosen reading.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
from pypinyin import Style, lazy_pinyin, pinyin

USERDICT = Path(__file__).parent / "data" / "userdict.txt"

# Clause separators: negation and context are scoped to one clause.
CLAUSE_SPLIT = re.compile(r"[，,。．.？?！!；;：:\s]+")
SENTENCE_SPLIT = re.compile(r"[。．.？?！!；;]+")

_HAN = re.compile(r"[\u3400-\u9fff]")


def is_han(ch: str) -> bool:
    """True for a CJK ideograph."""
    return bool(_HAN.fullmatch(ch))


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """The shared jieba tokenizer with the domain user dictionary loaded."""
    jieba.setLogLevel(logging.ERROR)
    tok = jieba.Tokenizer()
    tok.initialize()
    if USERDICT.exists():
        tok.load_userdict(str(USERDICT))
    return tok


def tokenize(text: str) -> list[str]:
    """Split text into jieba words (HMM on, for unknown words)."""
    return tokenizer().lcut(text)


_NOT_IN_NAMES = set("你您他她我们的了吗呢吧啊")  # jieba tags some greetings nr (谢谢您)


@lru_cache(maxsize=1)
def _pos_tokenizer() -> Any:
    import jieba.posseg

    return jieba.posseg.POSTokenizer(tokenizer())


@lru_cache(maxsize=4096)
def person_names(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of the words jieba tags as a personal name (``nr``: 王磊, 张伟, 李芳) in a
    clause: two to four Han characters. A name says nothing about who the person is; rules use
    it with a relation word or a relay (您邻居李芳, 跟王磊讲) for a third person."""
    out, pos = [], 0
    for w in _pos_tokenizer().cut(text):
        word, flag = w.word, w.flag
        if (flag == "nr" and 2 <= len(word) <= 4 and all(is_han(c) for c in word)
                and not set(word) & _NOT_IN_NAMES):
            out.append((pos, pos + len(word)))
        pos += len(word)
    return tuple(out)


def word_freq(word: str) -> int:
    """jieba's dictionary frequency of a word (0 when unknown)."""
    return int(tokenizer().FREQ.get(word, 0) or 0)


@lru_cache(maxsize=8192)
def char_readings(ch: str) -> frozenset[str]:
    """All toneless readings of one character; a non-Han character stands for itself."""
    if not is_han(ch):
        return frozenset({ch.lower()})
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    values = {r for group in readings for r in group if r}
    return frozenset(values or {ch})


@lru_cache(maxsize=4096)
def phrase_pinyin(phrase: str) -> tuple[str, ...]:
    """Toneless pinyin of a phrase, one syllable per Han character ('' if not all Han)."""
    if not phrase or not all(is_han(c) for c in phrase):
        return ()
    syl = lazy_pinyin(phrase, style=Style.NORMAL)
    return tuple(syl) if len(syl) == len(phrase) else ()


def toneless(text: str) -> str:
    """Space-separated toneless pinyin of a text (for display and debugging)."""
    return " ".join(lazy_pinyin(text, style=Style.NORMAL))


@dataclass
class Clause:
    """One clause of an utterance: its text, jieba words and the word boundaries."""

    text: str
    offset: int  # where the clause starts in the utterance text
    tokens: list[str] = field(default_factory=list)
    bounds: frozenset[int] = frozenset()
    # Derived readings of this clause kept while its rules run (``matching.squeeze``).
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def make(cls, text: str, offset: int = 0) -> Clause:
        toks = tokenize(text) if text else []
        pos, bounds = 0, {0}
        for t in toks:
            pos += len(t)
            bounds.add(pos)
        return cls(text=text, offset=offset, tokens=toks, bounds=frozenset(bounds))

    def readings(self, i: int) -> frozenset[str]:
        """Toneless readings of the character at position i."""
        return char_readings(self.text[i])

    def token_at(self, i: int) -> str:
        """The jieba word covering position i."""
        pos = 0
        for t in self.tokens:
            if pos <= i < pos + len(t):
                return t
            pos += len(t)
        return ""


def split_clauses(text: str) -> list[Clause]:
    """Split an utterance into clauses on ，。？！；: and whitespace, keeping offsets."""
    out: list[Clause] = []
    pos = 0
    for m in CLAUSE_SPLIT.finditer(text):
        if m.start() > pos:
            out.append(Clause.make(text[pos : m.start()], pos))
        pos = m.end()
    if pos < len(text):
        out.append(Clause.make(text[pos:], pos))
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence (split on 。？！；), for question/quotation scope."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in SENTENCE_SPLIT.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans
