"""Dates as customers and agents say them, resolved against the call's start.

`find_dates(text, today)` finds every date expression in a line (今天, 明天, 后天, 这周六, 下周五,
周五前, 月底, 本月三十号, 下个月十号, 过两天, 十二月十五日前, 15号, 二零二六年十二月五日, ...)
and resolves each to a `datetime.date` when `today` is given (None otherwise). A deadline word
after the date (前, 之前, 以前) is not part of the date's text.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from auditor.compliance.tokens import char_readings, is_han

from .numbers import parse_number

_N = r"[\d零〇一二两三四五六七八九十幺]{1,4}"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_OFFSETS = {"今天": 0, "今儿": 0, "今日": 0, "明天": 1, "明儿": 1, "明日": 1, "后天": 2,
            "大后天": 3}


@dataclass(frozen=True)
class DateMention:
    """A date expression in a line: its words, its span, its date (None without a start)."""

    text: str
    start: int
    end: int
    due: date | None


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: date, n: int) -> tuple[int, int]:
    k = d.year * 12 + d.month - 1 + n
    return k // 12, k % 12 + 1


def _day_in(y: int, m: int, day: int) -> date | None:
    try:
        return date(y, m, day)
    except ValueError:
        return _month_end(y, m) if 28 < day <= 31 else None


def _num(s: str | None) -> int | None:
    v = parse_number(s) if s else None
    return int(v) if v is not None else None


def _day(s: str | None) -> int | None:
    """A day of the month: the numeral, or its longest head that is one (二十一一 is 二十一: the
    recogniser writes 日 as 一 after a day)."""
    for k in range(len(s or ""), 0, -1):
        v = _num(s[:k])
        if v is not None and 1 <= v <= 31:
            return v
    return None


def _tail(s: str | None, hi: int) -> int | None:
    """The numeral, or its longest tail that is a number from 1 to `hi`: a garbled syllable
    before it (第一七十二月 for 第一期十二月, 十一二十五日 for 十一月二十五日) is not part of it."""
    s = s or ""
    for k in range(len(s)):
        v = _num(s[k:])
        if v is not None and 1 <= v <= hi:
            return v
    return None


def _full(m: re.Match, t: date) -> date | None:
    mon, day = _tail(m["m"], 12), _day(m["d"])
    if not mon or not day or not 1 <= mon <= 12:
        return None
    year = _num(m["y"])
    if year is not None and year < 100:
        year += 2000
    if year is None:
        d = _day_in(t.year, mon, day)
        if d and d < t - timedelta(days=60):
            d = _day_in(t.year + 1, mon, day)
        return d
    return _day_in(year, mon, day)


def _month_day(m: re.Match, t: date) -> date | None:
    day = _num(m["d"])
    if not day:
        return None
    y, mo = _add_months(t, 1) if m["pre"].startswith("下") else (t.year, t.month)
    return _day_in(y, mo, day)


def _month_end_expr(m: re.Match, t: date) -> date:
    y, mo = _add_months(t, 1) if (m["pre"] or "").startswith("下") else (t.year, t.month)
    return _month_end(y, mo)


def _month_start(m: re.Match, t: date) -> date:
    y, mo = _add_months(t, 1)
    return date(y, mo, 5)


def _month_mid(m: re.Match, t: date) -> date:
    y, mo = _add_months(t, 1) if (m["pre"] or "").startswith("下") else (t.year, t.month)
    return date(y, mo, 15)


def _next_month(m: re.Match, t: date) -> date:
    return _month_end(*_add_months(t, 1))


def _day_only(m: re.Match, t: date) -> date | None:
    day = _tail(m["d"], 31)
    if not day or day > 31:
        return None
    d = _day_in(t.year, t.month, day)
    if d is None or d < t:
        d = _day_in(*_add_months(t, 1), day)
    return d


def _week(m: re.Match, t: date) -> date:
    monday = t - timedelta(days=t.weekday())
    pre = m["pre"] or ""
    wd = _WEEKDAY[m["wd"]] if m["wd"] else 6
    weeks = pre.count("下")
    d = monday + timedelta(days=7 * weeks + wd)
    if not pre and d < t:
        d += timedelta(days=7)
    return d


def _offset(m: re.Match, t: date) -> date:
    return t + timedelta(days=_OFFSETS[m.group()])


def _in_days(m: re.Match, t: date) -> date:
    n = m["n"]
    days = 3 if n == "几" else (_num(n) or 2)
    if m["unit"] in ("周", "星期", "个星期", "个礼拜", "礼拜"):
        days *= 7
    return t + timedelta(days=days)


def _year_end(m: re.Match, t: date) -> date:
    return date(t.year, 12, 31)


_PATTERNS: list[tuple[re.Pattern, Callable[[re.Match, date], date | None]]] = [
    (re.compile(rf"(?:(?P<y>{_N})年)?(?P<m>{_N})月(?P<d>{_N})(?:日|号)?"), _full),
    (re.compile(rf"(?P<pre>下个?月|本月|这个?月|当月)(?P<d>{_N})(?:日|号)"), _month_day),
    (re.compile(r"(?:(?P<pre>下个?月|本月|这个?月|当月)|月)(?:底|末)"), _month_end_expr),
    (re.compile(r"(?:下个?月|月)初"), _month_start),
    (re.compile(r"(?P<pre>下个?月|本月|这个?月)?月中"), _month_mid),
    (re.compile(r"年底|年末"), _year_end),
    (re.compile(r"(?P<pre>下下|下|这|本)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末1-7])"),
     _week),
    (re.compile(r"(?P<pre>下下|下|这|本)个?(?:周|星期|礼拜)(?P<wd>)"), _week),
    (re.compile(r"下个?月"), _next_month),
    (re.compile("|".join(sorted(_OFFSETS, key=len, reverse=True))), _offset),
    (re.compile(r"(?:过|这)(?P<n>两|几|[一二三四五六七八九十\d]{1,2})(?P<unit>天|日)"), _in_days),
    (re.compile(r"(?P<n>[一二两三四五六七八九十\d]{1,2})(?P<unit>天|个星期|星期|周|个礼拜)(?:后|内|之内|以内)"),
     _in_days),
    (re.compile(rf"(?P<d>{_N})(?:日|号)"), _day_only),
]


# A day of the month heard as a common word right after a month (下个月时候 for 下个月十号): up to
# three syllables each read as a numeral (toneless, exact), then one with 号's initial h and a
# final ao / ou (候, 后, 好). After 月 with no 的 between, 时候 is not the everyday "time" (that
# takes 下个月的时候); it is the day as said.
_DAY_SLOT = re.compile(r"(?:下个?|本|这个?|当|[\d零〇一二两三四五六七八九十])月")
_NUMERALS = "一二三四五六七八九十"
_NUMERAL_OF = {r: n for n in _NUMERALS for r in char_readings(n)}


def _heard_numeral(ch: str) -> str | None:
    """The numeral a Han character sounds exactly like (toneless), if any (时 -> 十)."""
    if not is_han(ch):
        return None
    if ch in _NUMERALS:
        return ch
    return next((_NUMERAL_OF[r] for r in sorted(char_readings(ch)) if r in _NUMERAL_OF), None)


def _sounds_like_hao(ch: str) -> bool:
    return is_han(ch) and any(r in ("hao", "hou") for r in char_readings(ch))


def heard_days(text: str) -> str:
    """`text` with a day of the month heard as other words right after a month written as the
    numerals and 号 it sounds like (下个月时候 -> 下个月十号); same length, so spans stay valid."""
    out = list(text)
    for m in _DAY_SLOT.finditer(text):
        i = m.end()
        for n in (1, 2, 3):
            span = text[i:i + n + 1]
            if len(span) < n + 1 or span.endswith("号") and all(c in _NUMERALS for c in span[:-1]):
                continue
            digits = [_heard_numeral(c) for c in span[:n]]
            if all(digits) and _sounds_like_hao(span[n]):
                day = _num("".join(digits))  # type: ignore[arg-type]
                if day and 1 <= day <= 31:
                    out[i:i + n + 1] = [*digits, "号"]  # type: ignore[list-item]
                    break
    return "".join(out)


def find_dates(text: str, today: date | None) -> list[DateMention]:
    """Every date expression in `text`, in order, resolved against `today` when it is given. A
    day heard as other words after a month (``heard_days``) is read as the day; the mention keeps
    the words as written."""
    written, text = text, heard_days(text)
    taken: list[tuple[int, int]] = []
    out: list[DateMention] = []
    for pattern, resolve in _PATTERNS:
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            s, e = m.span()
            pos = s + 1  # a skipped match may still hold a date further on (第一七十二月十五日)
            if any(s < te and ts < e for ts, te in taken):
                continue
            if text[max(0, s - 1):s] in ("尾", "工", "第") or text[s:e].endswith("号") and \
                    text[e:e + 1].isdigit():
                continue
            due = resolve(m, today) if today is not None else None
            taken.append((s, e))
            out.append(DateMention(written[s:e], s, e, due))
            pos = e
    return sorted(out, key=lambda d: d.start)
