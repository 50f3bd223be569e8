"""A day of the month heard as other words right after a month (下个月时候 for 下个月十号): the
recogniser writes 十号 as the everyday 时候; in that slot, with no 的, it is the day."""

from __future__ import annotations

from datetime import date

from auditor.outcome.dates import find_dates, heard_days

TODAY = date(2026, 11, 23)


def _dues(text: str) -> list[tuple[str, date | None]]:
    return [(d.text, d.due) for d in find_dates(text, TODAY)]


def test_day_heard_as_other_words_after_a_month() -> None:
    assert _dues("下个月时候我先还一千") == [("下个月时候", date(2026, 12, 10))]
    assert _dues("明白十二月时候还八千可以吗") == [("十二月时候", date(2026, 12, 10))]
    assert heard_days("下个月时候之前还") == "下个月十号之前还"  # same length, spans kept


def test_time_words_and_days_said_right_are_left() -> None:
    # 下个月的时候 is "sometime next month": no day in it
    assert _dues("下个月的时候再说") == [("下个月", date(2026, 12, 31))]
    assert _dues("下个月十五号") == [("下个月十五号", date(2026, 12, 15))]
    assert heard_days("下个月还款") == "下个月还款"
