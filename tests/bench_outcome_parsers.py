"""Bench: maintained Chinese time/money parsers (jionlp, cn2an) against auditor.outcome's own.

Run from the repository root: ``python tests/bench_outcome_parsers.py``. Each parser gets the same
expression; the expected value is the reading a QA lead would give a promise (a deadline date for
a time expression, yuan for a sum). Prints accuracy and the mean time per call; jionlp and cn2an
are skipped when not installed.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.outcome.dates import find_dates  # noqa: E402
from auditor.outcome.numbers import find_amounts, parse_number  # noqa: E402

REPEAT = 5
BASE = datetime(2026, 11, 20, 10, 15)  # a Friday
DATES = [
    ("今天", "2026-11-20"), ("明天", "2026-11-21"), ("后天", "2026-11-22"),
    ("大后天", "2026-11-23"), ("这周六", "2026-11-21"), ("这周日", "2026-11-22"),
    ("本周日", "2026-11-22"), ("下周一", "2026-11-23"), ("下周五", "2026-11-27"),
    ("下星期三", "2026-11-25"), ("下礼拜二", "2026-11-24"), ("周五前", "2026-11-20"),
    ("周一", "2026-11-23"), ("星期天", "2026-11-22"), ("月底", "2026-11-30"),
    ("月底前", "2026-11-30"), ("这个月底", "2026-11-30"), ("本月底", "2026-11-30"),
    ("下个月底", "2026-12-31"), ("月末", "2026-11-30"), ("本月三十号", "2026-11-30"),
    ("这个月二十五号", "2026-11-25"), ("下个月十号", "2026-12-10"), ("下月5号", "2026-12-05"),
    ("过两天", "2026-11-22"), ("这两天", "2026-11-22"), ("三天内", "2026-11-23"),
    ("一周内", "2026-11-27"), ("十二月十五日前", "2026-12-15"), ("十二月十五号", "2026-12-15"),
    ("12月15日", "2026-12-15"), ("12月15号之前", "2026-12-15"), ("十一月三十日之前", "2026-11-30"),
    ("二零二六年十二月五日", "2026-12-05"), ("2026年12月5日", "2026-12-05"),
    ("15号", "2026-12-15"), ("二十五号", "2026-11-25"), ("三十号前", "2026-11-30"),
    ("二十八号", "2026-11-28"), ("一月五号", "2027-01-05"), ("下周", "2026-11-29"),
    ("下个月", "2026-12-31"), ("年底", "2026-12-31"), ("下下周一", "2026-11-30"),
    ("十号之前", "2026-12-10"),
]
MONEY = [
    ("两千", 2000), ("2千", 2000), ("一万二", 12000), ("3,500元", 3500), ("三千五", 3500),
    ("五百块", 500), ("六千一", 6100), ("四千二百元", 4200), ("一万零五百元", 10500),
    ("三万四千五百六十七元", 34567), ("两万零六百元", 20600), ("一万五", 15000),
    ("一万五千元", 15000), ("1.5万", 15000), ("2万", 20000), ("两万五", 25000), ("八千八", 8800),
    ("八千八百元", 8800), ("3千5", 3500), ("1500元", 1500), ("1500块", 1500), ("5000", 5000),
    ("两千块钱", 2000), ("一千", 1000), ("一千五", 1500), ("一千五百块", 1500), ("九千", 9000),
    ("七千五百元", 7500), ("十万", 100000), ("十二万", 120000), ("三百", 300), ("五百元", 500),
    ("两百块", 200), ("一万", 10000), ("12,345元", 12345), ("一万两千三百四十五元", 12345),
    ("四千三", 4300), ("六千", 6000), ("两千六", 2600), ("5千块", 5000), ("三千九百元", 3900),
    ("一百二十元", 120), ("9600元", 9600), ("一千零五十元", 1050),
]


def _day(s: str) -> str:
    return s[:10]


def jionlp_date(jio, expr: str) -> str | None:
    r = jio.parse_time(expr, time_base=time.mktime(BASE.timetuple()))
    t = r["time"]
    if r["type"] == "time_span" and t[1] != "inf":
        return _day(t[1])
    return _day(t[0]) if t[0] not in ("inf", "-inf") else None


def mine_date(expr: str) -> str | None:
    found = find_dates(expr, BASE.date())
    return found[0].due.isoformat() if found and found[0].due else None


_UNIT = re.compile(r"(块钱|块|元)$")


def jionlp_money(jio, expr: str) -> float:
    return float(jio.parse_money(expr)["num"])


def cn2an_money(cn2an, expr: str) -> float:
    return float(cn2an.cn2an(_UNIT.sub("", expr), "smart"))


def mine_money(expr: str) -> float | None:
    amounts = find_amounts(expr)
    return amounts[0].value if amounts else parse_number(_UNIT.sub("", expr))


def run(name: str, fn, cases) -> None:
    right, misses = 0, []
    for expr, want in cases:
        try:
            got = fn(expr)
        except Exception:  # noqa: BLE001 - a parser's failure is a miss
            got = "error"
        if got == want:
            right += 1
        else:
            misses.append(f"{expr}->{got}")
    t0 = time.perf_counter()  # timed after the warm-up pass above
    for _ in range(REPEAT):
        for expr, _want in cases:
            try:
                fn(expr)
            except Exception:  # noqa: BLE001
                pass
    per = (time.perf_counter() - t0) / (REPEAT * len(cases)) * 1e6
    print(f"{name:16s} {right:3d}/{len(cases)} = {right / len(cases):.3f}   {per:9.1f} us/call")
    if misses:
        print("    misses:", "; ".join(misses))


def main() -> None:
    assert date.fromisoformat(DATES[0][1]) == BASE.date()
    print(f"dates ({len(DATES)} expressions, base {BASE:%Y-%m-%d %a})")
    try:
        t0 = time.perf_counter()
        import jionlp as jio
        print(f"  (jionlp import {time.perf_counter() - t0:.2f} s)")
    except ImportError:
        jio = None
    run("auditor.outcome", mine_date, DATES)
    if jio:
        run("jionlp", lambda e: jionlp_date(jio, e), DATES)
    print(f"money ({len(MONEY)} expressions)")
    run("auditor.outcome", mine_money, MONEY)
    if jio:
        run("jionlp", lambda e: jionlp_money(jio, e), MONEY)
    try:
        import cn2an
        run("cn2an", lambda e: cn2an_money(cn2an, e), MONEY)
    except ImportError:
        pass


if __name__ == "__main__":
    main()
