"""Numbers as spoken and as the recogniser writes them: Chinese numerals, Arabic digits, a mix.

`parse_number("一万二")` is 12000, `"三千五"` 3500, `"2千"` 2000, `"3,500"` 3500, `"二零二六"` 2026
(digits read one by one). A numeral that breaks the grammar (七七二百: two digits, then a unit) is
no number: it is the recogniser's garble of one, and a wrong sum is worse than none.
`find_amounts(text)` gives the sums of money in a line with their spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .sounds import sounds_like

DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_CN = "零〇一幺二两三四五六七八九十百千万亿"
NUMBER_RE = re.compile(rf"(?:\d[\d,，]*(?:\.\d+)?|[{_CN}])(?:[\d.,{_CN}]*(?<![,，.]))?")
_MONEY_UNIT = re.compile(r"\s*(?:块钱|块|元|圆|人民币|rmb|RMB)")
_PAY_BEFORE = ("还", "付", "交", "转", "打", "给")
# A money unit as the recogniser may write it: a character that sounds like one of these.
_UNIT_SOUNDS = ("元", "块")
_NOT_MONEY = re.compile(
    r"\s*(?:号|日|月|年|期|天|个|次|点|分钟|周|岁|%|％|倍|笔|张|位|成|折|米|公里|斤|克)")


def _arabic_head(s: str) -> tuple[float, str]:
    m = re.match(r"\d[\d,，]*(?:\.\d+)?", s)
    if not m:
        return 0.0, s
    return float(re.sub(r"[,，]", "", m.group())), s[m.end():]


def _below_wan(s: str) -> float | None:
    """Value of a numeral without 万/亿: 三千五 3500, 二十 20, 十五 15, 5百 500."""
    if not s:
        return 0.0
    if all(c in DIGITS for c in s) and len(s) > 1:
        return float("".join(str(DIGITS[c]) for c in s))
    total, cur, last_unit, i = 0.0, None, None, 0
    while i < len(s):
        c = s[i]
        if c.isdigit():
            if cur is not None:
                return None  # 7七二百: two digits with no unit between
            cur, rest = _arabic_head(s[i:])
            i = len(s) - len(rest)
            continue
        if c in DIGITS:
            if cur is not None and not (cur == 0 and s[i - 1] in "零〇"):
                return None  # 七七二百: two digits with no unit between
            cur = float(DIGITS[c])
        elif c in SMALL_UNITS:
            unit = SMALL_UNITS[c]
            total += (1.0 if cur is None else cur) * unit
            cur, last_unit = None, unit
        else:
            return None
        i += 1
    if cur is not None:
        # 三千五 = 3500: a trailing digit right after a unit counts in the next unit down.
        if last_unit and last_unit >= 100 and s[-2] in SMALL_UNITS:
            cur *= last_unit / 10
        total += cur
    return total


def parse_number(text: str) -> float | None:
    """The value of one numeral (Chinese, Arabic or mixed), or None if it is not one."""
    s = text.strip().replace(" ", "")
    if not s:
        return None
    if re.fullmatch(r"\d[\d,，]*(?:\.\d+)?", s):
        return _arabic_head(s)[0]
    for big_char, big in sorted(BIG_UNITS.items(), key=lambda kv: -kv[1]):
        if big_char in s:
            head, _, tail = s.partition(big_char)
            hv = _below_wan(head) if head else 1.0
            if hv is None:
                return None
            if tail and all(c in DIGITS for c in tail) and len(tail) == 1 and tail != "零":
                tv = DIGITS[tail] * big / 10  # 一万二 = 12000
            else:
                tv = parse_number(tail.lstrip("零")) if tail.lstrip("零") else 0.0
                if tv is None:
                    return None
            return (hv or 0.0) * big + tv
    return _below_wan(s)


@dataclass(frozen=True)
class Amount:
    """A sum of money named in a line: its value in yuan and where it is."""

    value: float
    start: int
    end: int
    text: str


def _unit_at(after: str, value: float) -> int:
    """Length of the money unit `after` opens with (0 if none): 元, 块钱 ..., or, after a sum of at
    least a hundred, one character that sounds like 元 or 块 (the recogniser's 园, 快)."""
    unit = _MONEY_UNIT.match(after)
    if unit:
        return unit.end()
    if value >= 100 and after[:1] and any(sounds_like(after[0], u) for u in _UNIT_SOUNDS):
        return 1
    return 0


def find_amounts(text: str, lead_words: Iterable[str] = ()) -> list[Amount]:
    """The sums of money in `text`: numbers with 元/块 (or a unit that sounds like them), numbers
    of at least a hundred with a unit (百/千/万), or Arabic digits of at least a hundred right after
    a payment verb or one of `lead_words` (欠款, 待还: a debt word names a sum, whatever unit
    the recogniser wrote after it); never dates, counts or durations."""
    leads = tuple(lead_words)
    out = []
    for m in NUMBER_RE.finditer(text):
        raw = m.group()
        value = parse_number(raw)
        if value is None or value <= 0:
            continue
        after = text[m.end():]
        before = text[max(0, m.start() - 2):m.start()]
        if _NOT_MONEY.match(after) or before.endswith(("尾号", "工号", "号码", "第")):
            continue
        unit = _unit_at(after, value)
        has_unit_char = any(c in raw for c in "百千万亿")
        # Arabic digits right after a payment verb (还6000) or a debt word (欠款39000人): the
        # recogniser's way of writing a sum, whatever it made of the unit.
        lead = text[max(0, m.start() - 4):m.start()]
        paid = raw[0].isdigit() and 100 <= value < 10_000_000 and (
            before.endswith(_PAY_BEFORE) or any(lead.endswith(w) for w in leads))
        if unit or (has_unit_char and value >= 100) or paid:
            end = m.end() + unit
            out.append(Amount(value, m.start(), end, text[m.start():end]))
    return out
