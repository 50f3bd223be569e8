"""The payment terms one line names: dates, sums, "all of it", a partial payment, a plan."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .dates import DateMention, find_dates
from .numbers import Amount, find_amounts, parse_number
from .text import blank, first_match

_PLAN = re.compile(r"分(?P<n>[\d一二两三四五六七八九十]{1,3})(?:期|个月|次|笔|回)")
_CLAUSE = re.compile(r"[，,。；;！!？?\s]")
_NTH = re.compile(r"第[一二三四五六七八九十\d]{1,2}期|首期|头期")


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

    @property
    def named(self) -> bool:
        """True when the line names a date, a sum, all of it or a plan."""
        return bool(self.dates or self.amounts or self.all_of_it or self.plan)


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
    verbs_text = blank(text, p["pay_verb_unless"])
    t = Terms()
    t.pays = first_match(verbs_text, p["pay_verbs"]) is not None
    t.negated = first_match(text, p["negated"]) is not None
    lo, hi = _pay_clause(verbs_text, p["pay_verbs"])
    t.dates = _clause_first(find_dates(text, today), lo, hi)
    amounts = find_amounts(text)
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
    """The debt a line states (欠款一万二千三百四十五元, 还剩三千元), the last one if several."""
    amounts = find_amounts(text)
    debt = _debt_amounts(text, amounts, cfg["promise"]["outstanding_words"])
    values = [a.value for a in amounts if a.start in debt]
    return values[-1] if values else None
