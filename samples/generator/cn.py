"""Chinese numerals, dates and valid personal numbers for the varied sample calls.

Pure Python (no numpy), so verify.py can use the same spelling helpers; the *resolution* of
relative dates in verify.py is written separately on purpose (an independent check).
"""

from __future__ import annotations

import calendar
import datetime as dt

DIG = "零一二三四五六七八九"
WEEKDAY = "一二三四五六日"


def cn_small(n: int, liang: bool = True) -> str:
    """0 <= n < 10000 in Chinese numerals (两 for a leading 2 before 百/千 when liang)."""
    if n == 0:
        return "零"
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, zero, started = "", False, False
    for u, name in units:
        d, n = divmod(n, u)
        if d:
            if zero and started:
                out += "零"
            if u == 10 and d == 1 and not started:
                out += "十"
            else:
                out += ("两" if (liang and d == 2 and u >= 100 and not started) else DIG[d]) + name
            started, zero = True, False
        elif started:
            zero = True
    if n:
        if zero and started:
            out += "零"
        out += DIG[n]
    return out


def cn_int(n: int, liang: bool = True) -> str:
    """0 <= n < 10**8, e.g. 12345 -> 一万二千三百四十五, 2000 -> 两千, 20000 -> 两万."""
    if n < 10000:
        return cn_small(n, liang)
    wan, rest = divmod(n, 10000)
    head = "两" if (liang and wan == 2) else cn_small(wan, liang)
    if rest == 0:
        return head + "万"
    return head + "万" + ("零" if rest < 1000 else "") + cn_small(rest, False)


def cn_amount(v: int, style: str) -> str:
    """Spoken amount in yuan. styles: formal (三千五百元), plain (三千五百), kuai (三千五百块),
    colloquial (三千五 / 一万二: the trailing unit dropped; only when that is unambiguous)."""
    if style == "colloquial":
        if v >= 10000 and v % 1000 == 0 and v % 10000:
            w, r = divmod(v, 10000)
            return ("两" if w == 2 else cn_small(w)) + "万" + DIG[r // 1000]
        if 1000 <= v < 10000 and v % 100 == 0 and v % 1000:
            q, r = divmod(v, 1000)
            return ("两" if q == 2 else DIG[q]) + "千" + DIG[r // 100]
        style = "plain"
    base = cn_int(v)
    return {"formal": base + "元", "plain": base, "kuai": base + "块"}[style]


def digits(s: str, yao: bool = True) -> str:
    """Read a digit string one by one (幺 for 1, as on the phone)."""
    return "".join(("幺" if yao else "一") if c == "1" else DIG[int(c)] for c in s)


def grouped(s: str, sizes: list[int], yao: bool = True) -> str:
    out, i = [], 0
    for k in sizes:
        out.append(digits(s[i : i + k], yao))
        i += k
    if i < len(s):
        out.append(digits(s[i:], yao))
    return "，".join(out)


def cn_date(d: dt.date, hao: bool = False) -> str:
    return f"{cn_int(d.month, False)}月{cn_int(d.day, False)}{'号' if hao else '日'}"


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def next_month(d: dt.date, day: int) -> dt.date:
    y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return dt.date(y, m, day)


# relative date forms of issue 15: name -> (condition on the start date, text, resolver)
def due_form(form: str, start: dt.date, rng) -> tuple[str, dt.date] | None:
    """Return (spoken text, date) for a form, or None when the form does not fit this start."""
    wd = start.weekday()
    if form == "今天":
        return "今天", start
    if form == "明天":
        return "明天", start + dt.timedelta(days=1)
    if form == "过两天":
        return "过两天", start + dt.timedelta(days=2)
    if form == "这周X":
        if wd >= 5:
            return None
        x = int(rng.integers(wd + 1, 7))
        return "这周" + WEEKDAY[x], start + dt.timedelta(days=x - wd)
    if form == "下周五":
        return "下周五", start + dt.timedelta(days=7 - wd + 4)
    if form == "月底":
        if start.day > 27:
            return None
        return "月底", month_end(start)
    if form == "本月三十号":
        if start.day >= 29 or calendar.monthrange(start.year, start.month)[1] < 30:
            return None
        return "本月三十号", start.replace(day=30)
    if form == "下个月十号":
        return "下个月十号", next_month(start, 10)
    if form == "十二月十五日前":
        if (start.month, start.day) >= (12, 15):
            return None
        return "十二月十五日前", dt.date(start.year, 12, 15)
    if form == "X号":  # a day of this month still ahead
        if start.day > 25:
            return None
        day = int(rng.integers(start.day + 2, 29))
        return cn_int(day, False) + "号", start.replace(day=day)
    raise ValueError(form)


DUE_FORMS = [
    "今天",
    "明天",
    "这周X",
    "下周五",
    "月底",
    "本月三十号",
    "下个月十号",
    "过两天",
    "十二月十五日前",
    "X号",
]


# ---------------------------------------------------------------------------------------------
# personal numbers with valid check digits (all invented)


def id_number(rng) -> str:
    area = str(rng.choice(["110105", "310104", "440305", "330106", "510107", "420111"]))
    y = int(rng.integers(1968, 2001))
    m = int(rng.integers(1, 13))
    d = int(rng.integers(1, 29))
    seq = f"{int(rng.integers(0, 1000)):03d}"
    body = f"{area}{y:04d}{m:02d}{d:02d}{seq}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]
    if check == "X":  # keep it speakable as digits
        return id_number(rng)
    return body + check


def mobile(rng) -> str:
    return str(
        rng.choice(["135", "136", "138", "139", "150", "158", "186", "187", "177"])
    ) + "".join(str(int(rng.integers(0, 10))) for _ in range(8))


def bank_card(rng) -> str:
    body = str(rng.choice(["622202", "621700", "622848", "623058"])) + "".join(
        str(int(rng.integers(0, 10))) for _ in range(9)
    )
    s = 0
    for i, c in enumerate(reversed(body)):  # Luhn, check digit appended
        v = int(c) * (2 if i % 2 == 0 else 1)
        s += v - 9 if v > 9 else v
    return body + str((10 - s % 10) % 10)
