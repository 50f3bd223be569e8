"""Rule matching: an utterance split into clauses and words, and the hits of one rule in it.

**Word matching.** Each utterance is split into clauses (on ，。？！；: and spaces) and each clause
into words with jieba (``auditor.compliance.tokens``). A phrase of one or two characters
matches only when both its ends fall on word boundaries (老赖 in 你这个老赖 but not 坐牢 in
坐牢固); a longer phrase matches unless it cuts into words at both ends. ``patterns`` are
regular expressions run on the clause text as written.

**Pinyin matching** (on by default, ``load_rules(pinyin=False)`` turns it off) catches ASR
homophones in two ways: the ``domain_words`` of ``context.toml`` (逾期, 借呗, 工号, 欠款, 征信,
花呗 ...) are found by toneless pinyin and written back into a canonical copy of the clause, which
every rule also sees; and a rule with ``pinyin = true`` also matches its own phrases by pinyin.
False alarms are kept down by these guards: only phrases of two or more syllables; only spans
that start and end on jieba word boundaries; a span that is itself a common word (jieba frequency
>= ``common_word_freq``, e.g. 与其, 预期, 分歧) counts only when its clause also holds a debt anchor
(a digit, a number with a unit such as 三天/五千元, or a word of ``pinyin_anchors``); a span made
only of numerals inside a longer run of numerals (一七 in 一三九一七...) never counts.

**Context.** For a ``negatable`` rule, a negator (不会, 没有, 不是 ...) before the phrase in the
same clause, within ``negation_window`` characters and with no breaker (就, 但是, 否则 ...)
between them, cancels the hit: 我们不会上门 is reassurance, 不还钱就上门 is not, and in
我们不会上门，但是你家人都会知道你是老赖 the second clause still flags. A hit in a sentence that
begins by repeating the customer's words (您是说…, 您担心…) is not the agent's own statement. Any
``exceptions`` phrase in the clause cancels the rule's hits there. Lawful, true notices (会影响您的
个人征信, 机构可能依法起诉) simply match no false_legal phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.compliance.pii import DIGITS, find_pii
from auditor.compliance.rules import Context, Rule, RuleSet
from auditor.compliance.tokens import (
    Clause,
    is_han,
    phrase_pinyin,
    sentence_spans,
    split_clauses,
    word_freq,
)
from auditor.core.vocab import RULE_CATEGORIES

_NUMERALS = set(DIGITS) - {"X", "x", "Ｘ", "叉"}


@dataclass
class Hit:
    """One match of a rule in an utterance."""

    start: int  # offset in the utterance text
    end: int
    surface: str  # the text as written
    via: str  # word | pinyin | pattern | detector


@dataclass
class Analysed:
    """An utterance split into clauses, with canonical (pinyin-rewritten) clause texts."""

    text: str
    clauses: list[Clause]
    canon: list[str] = field(default_factory=list)
    canon_spans: list[list[tuple[int, int]]] = field(default_factory=list)
    _pii: list[Any] | None = None

    def pii(self) -> list[Any]:
        if self._pii is None:
            self._pii = find_pii(self.text)
        return self._pii


_AMOUNT = re.compile(r"[0-9零一二两三四五六七八九十百千万]+(天|元|块|号|个月|期|万)")


def _has_anchor(text: str, lo: int, hi: int, ctx: Context) -> bool:
    """A debt anchor (digit, number with a unit, anchor word) in the text outside [lo, hi)."""
    rest = text[:lo] + " " + text[hi:]
    if re.search(r"\d", rest) or _AMOUNT.search(rest):
        return True
    return any(a in rest for a in ctx.pinyin_anchors)


def _unknown_token(clause: Clause, i: int) -> bool:
    """True when the jieba word covering position i is not a dictionary word (HMM guess)."""
    tok = clause.token_at(i)
    return len(tok) > 1 and word_freq(tok) == 0


def pinyin_spans(clause: Clause, phrase: str, ctx: Context) -> list[tuple[int, int]]:
    """Spans of the clause that sound like `phrase` (toneless) and pass the false-alarm guards.

    Guards: two or more syllables; the span starts and ends on word boundaries (one end may sit
    inside a word jieba only guessed, since its guesses glue unknown characters); a span that is a
    common word needs a debt anchor in the same clause; numerals inside a numeral run never count.
    """
    syl = phrase_pinyin(phrase)
    n = len(syl)
    if n < 2:
        return []
    text = clause.text
    out: list[tuple[int, int]] = []
    for s in range(0, len(text) - n + 1):
        e = s + n
        s_ok, e_ok = s in clause.bounds, e in clause.bounds
        if not (s_ok and e_ok):
            loose = (s_ok and _unknown_token(clause, e - 1)) or (e_ok and _unknown_token(clause, s))
            if not loose:
                continue
        surface = text[s:e]
        if surface == phrase or not all(is_han(c) for c in surface):
            continue
        if not all(syl[k] in clause.readings(s + k) for k in range(n)):
            continue
        if all(c in _NUMERALS for c in surface):
            before = text[s - 1] if s > 0 else ""
            after = text[e] if e < len(text) else ""
            if before in _NUMERALS or after in _NUMERALS or before.isdigit() or after.isdigit():
                continue
        if word_freq(surface) >= ctx.common_word_freq and not _has_anchor(text, s, e, ctx):
            continue
        out.append((s, e))
    return out


def analyse(text: str, rules: RuleSet) -> Analysed:
    """Split an utterance into clauses and, with pinyin on, rewrite domain-word homophones."""
    clauses = split_clauses(text)
    a = Analysed(text=text, clauses=clauses)
    for c in clauses:
        chars = list(c.text)
        spans: list[tuple[int, int]] = []
        if rules.pinyin:
            for w in rules.context.domain_words:
                for s, e in pinyin_spans(c, w, rules.context):
                    if any(s < b and a_ < e for a_, b in spans):
                        continue
                    chars[s:e] = list(w)
                    spans.append((s, e))
        a.canon.append("".join(chars))
        a.canon_spans.append(spans)
    return a


def _aligned(clause: Clause, s: int, e: int) -> bool:
    phrase = clause.text[s:e]
    if phrase.isascii():
        before = clause.text[s - 1] if s > 0 else " "
        after = clause.text[e] if e < len(clause.text) else " "
        return not (before.isascii() and before.isalnum()) and not (
            after.isascii() and after.isalnum())
    s_ok, e_ok = s in clause.bounds, e in clause.bounds
    if e - s <= 2:
        return s_ok and e_ok
    return s_ok or e_ok


def _find_all(text: str, sub: str) -> Iterable[int]:
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def negated(text: str, s: int, ctx: Context) -> bool:
    """True when a negator governs the phrase starting at s in this clause."""
    prefix = text[:s]
    if prefix.endswith("不") or prefix.endswith("没"):
        return True
    for neg in ctx.negators:
        for i in _find_all(prefix, neg):
            gap = prefix[i + len(neg):]
            if len(gap) > ctx.negation_window:
                continue
            if any(b in gap for b in ctx.breakers):
                continue
            return True
    return False


def _quoted(text: str, pos: int, ctx: Context) -> bool:
    for a, b in sentence_spans(text):
        if a <= pos < b:
            head = text[a:pos]
            return any(m in head for m in ctx.quote_markers)
    return False


def match_rule(rule: Rule, a: Analysed, rules: RuleSet) -> list[Hit]:
    """All hits of one rule in an analysed utterance, after context checks."""
    if rule.detector:
        return [Hit(m.start, m.end, m.masked, "detector")
                for m in a.pii() if m.kind == rule.detector]
    ctx = rules.context
    hits: list[Hit] = []
    for ci, clause in enumerate(a.clauses):
        canon = a.canon[ci] if a.canon else clause.text
        variants = [(clause.text, False)]
        if rules.pinyin and canon != clause.text:
            variants.append((canon, True))
        found: dict[tuple[int, int], str] = {}
        for text, is_canon in variants:
            for ph in rule.phrases:
                for s in _find_all(text, ph):
                    e = s + len(ph)
                    if not _aligned(clause, s, e):
                        continue
                    if is_canon and not _touches(a.canon_spans[ci], s, e):
                        continue
                    found.setdefault((s, e), "pinyin" if is_canon else "word")
            for pat in rule.patterns:
                for m in pat.finditer(text):
                    s, e = m.span()
                    if e <= s or (is_canon and not _touches(a.canon_spans[ci], s, e)):
                        continue
                    found.setdefault((s, e), "pinyin" if is_canon else "pattern")
        if rules.pinyin and rule.pinyin:
            for ph in rule.phrases:
                for s, e in pinyin_spans(clause, ph, ctx):
                    found.setdefault((s, e), "pinyin")
        if not found:
            continue
        if rule.exceptions and any(x in clause.text or x in canon for x in rule.exceptions):
            continue
        for (s, e), via in sorted(found.items()):
            if rule.negatable and negated(canon, s, ctx):
                continue
            if _quoted(a.text, clause.offset + s, ctx):
                continue
            hits.append(Hit(clause.offset + s, clause.offset + e, clause.text[s:e], via))
    return hits


def _touches(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def applies(rule: Rule, speaker: str) -> bool:
    """Whether a rule may fire on this speaker's words."""
    if speaker == "customer" and rule.category in RULE_CATEGORIES:
        return False
    return speaker in rule.speakers
