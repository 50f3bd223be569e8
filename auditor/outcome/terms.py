"""The payment terms one line names: dates, sums, "all of it", a partial payment, a plan."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .dates import DateMention, find_dates
from .numbers import NUMBER_RE, Amount, find_amounts, parse_number
from .sounds import heard_as, sounds_like, word_starts
from .text import blank, first_match

_PLAN = re.compile(r"分(?P<n>[\d一二两三四五六七八九十]{1,3})(?:期|个月|次|笔|回)")
_CLAUSE = re.compile(r"[，,。；;！!？?\s]")
_NTH = re.compile(r"第[一二三四五六七八九十\d]{1,2}期|首期|头期|每期|每个月还")


@dataclass
class Terms:
    """What one line says about paying."""

    pays: bool = False
    negated: bool = False
    dates: list[DateMention] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    all_of_it: bool = False
    partial: bool = False
    installments: int | None = None
    plan: bool = False
    heard: bool = False  # the payment verb is only a sound in its slot (海 for 还 before a sum)
    text: str = ""  # the line as the cues read it (homophones of the cue words rewritten)

    @property
    def named(self) -> bool:
        """True when the line names a date, a sum, all of it or a plan."""
        return bool(self.dates or self.amounts or self.all_of_it or self.plan)


def canonical(text: str, cfg: dict[str, Any]) -> str:
    """The line as the cues read it: spans that sound like a cue word written as it (same
    length; ``auditor.outcome.sounds``)."""
    return heard_as(text, cfg["promise"]["heard_words"])


def _sound_verb(text: str, dates: list[DateMention], amounts: list[Amount],
                cfg: dict[str, Any]) -> bool:
    """A character that sounds like a one-syllable pay verb (海 for 还) in the slot of one: right
    before a number, or right after a date, a deadline word (之前) or an "all / first" word."""
    p = cfg["promise"]
    verbs = [v for v in p["verb_sounds"] if len(v) == 1]
    leads = [*p["deadline_words"], *p["all_words"], *p["partial_words"]]
    ends = {d.end for d in dates}
    starts: set[int] | None = None
    for i, ch in enumerate(text):
        if not any(sounds_like(ch, v) for v in verbs):
            continue
        if NUMBER_RE.match(text, i + 1) and any(a.start == i + 1 for a in amounts):
            if starts is None:
                starts = word_starts(text)
            if i in starts:  # not the end of a word (上海四千米)
                return True
        if i in ends or any(text[:i].endswith(w) for w in leads):
            return True
    return False


def _debt_amounts(text: str, amounts: list[Amount], words: list[str]) -> set[int]:
    """Starts of the amounts that state the debt (欠款X元, 还剩X元), not a payment."""
    out = set()
    for a in amounts:
        before = text[max(0, a.start - 4):a.start]
        if any(w in before for w in words):
            out.add(a.start)
    return out


def _pay_clause(text: str, verbs: list[str]) -> tuple[int, int]:
    """The span of the first clause holding a payment verb ((0, 0) if none)."""
    pos = 0
    for clause in _CLAUSE.split(text):
        if any(v in clause for v in verbs):
            return pos, pos + len(clause)
        pos += len(clause) + 1
    return 0, 0


def _clause_first(items: list, lo: int, hi: int) -> list:
    """`items` (with .start) inside [lo, hi) first, then the rest, each in order."""
    inside = [x for x in items if lo <= x.start < hi]
    return inside + [x for x in items if not lo <= x.start < hi]


def parse_terms(text: str, today: date | None, cfg: dict[str, Any]) -> Terms:
    """The payment terms in `text` (dates resolved against `today` when given)."""
    p = cfg["promise"]
    text = canonical(text, cfg)
    verbs_text = blank(text, p["pay_verb_unless"])
    t = Terms(text=text)
    t.pays = first_match(verbs_text, p["pay_verbs"]) is not None
    t.negated = first_match(text, p["negated"]) is not None
    lo, hi = _pay_clause(verbs_text, p["pay_verbs"])
    dates = find_dates(text, today)
    t.dates = _clause_first(dates, lo, hi)
    amounts = find_amounts(text, [*p["pay_verbs"], *p["outstanding_words"]])
    if not t.pays and _sound_verb(verbs_text, dates, amounts, cfg):
        t.pays = t.heard = True
    debt = _debt_amounts(text, amounts, p["outstanding_words"])
    t.amounts = _clause_first([a for a in amounts if a.start not in debt], lo, hi)
    t.all_of_it = first_match(text, p["all_words"]) is not None
    t.partial = first_match(text, p["partial_words"]) is not None
    m = _PLAN.search(text)
    if m:
        n = parse_number(m["n"])
        t.installments = int(n) if n and n >= 2 else None
        t.plan = True
    if _NTH.search(text):
        t.plan = True
    if len(t.dates) >= 2 and first_match(text, p["later_part_words"]):
        t.plan = True
        t.installments = max(t.installments or 0, len(t.dates))
    return t


def outstanding(text: str, cfg: dict[str, Any]) -> float | None:
    """The debt a line states (欠款一万二千三百四十五元, 还剩三千元), the last one if several; in a
    debt statement whose debt word is not right before the sum (您在X的借款于七四十三天，待海两万),
    the largest sum of the line."""
    found = debt_statement(text, cfg)
    return found[0] if found else None


def debt_statement(text: str, cfg: dict[str, Any]) -> tuple[float, bool] | None:
    """The debt a line states and whether it stands right after a debt word (a direct statement)
    rather than being only the largest sum of a line that holds one."""
    words = cfg["promise"]["outstanding_words"]
    text = canonical(text, cfg)
    amounts = find_amounts(text, words)
    debt = _debt_amounts(text, amounts, words)
    values = [a.value for a in amounts if a.start in debt]
    if values:
        return values[-1], True
    if amounts and first_match(text, words):
        return max(a.value for a in amounts), False
    return None
