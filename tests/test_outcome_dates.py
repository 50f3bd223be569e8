"""Every date form resolved against a call start (a Friday, 2026-11-20), and without one."""

from datetime import date

import pytest

from auditor.outcome import find_dates

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize("text, words, due", [
    ("今天还", "今天", "2026-11-20"),
    ("明天还", "明天", "2026-11-21"),
    ("后天还", "后天", "2026-11-22"),
    ("这周六还", "这周六", "2026-11-21"),
    ("本周日前", "本周日", "2026-11-22"),
    ("下周五", "下周五", "2026-11-27"),
    ("下星期一", "下星期一", "2026-11-23"),
    ("下礼拜三", "下礼拜三", "2026-11-25"),
    ("周五前", "周五", "2026-11-20"),
    ("周一还", "周一", "2026-11-23"),
    ("月底前", "月底", "2026-11-30"),
    ("这个月底", "这个月底", "2026-11-30"),
    ("下个月底", "下个月底", "2026-12-31"),
    ("本月三十号", "本月三十号", "2026-11-30"),
    ("下个月十号", "下个月十号", "2026-12-10"),
    ("下月5号", "下月5号", "2026-12-05"),
    ("过两天", "过两天", "2026-11-22"),
    ("这两天就还", "这两天", "2026-11-22"),
    ("三天内", "三天内", "2026-11-23"),
    ("一周内", "一周内", "2026-11-27"),
    ("十二月十五日前", "十二月十五日", "2026-12-15"),
    ("12月15日", "12月15日", "2026-12-15"),
    ("二零二六年十二月五日之前", "二零二六年十二月五日", "2026-12-05"),
    ("15号", "15号", "2026-12-15"),
    ("二十五号还清", "二十五号", "2026-11-25"),
    ("一月五号", "一月五号", "2027-01-05"),
    ("下周", "下周", "2026-11-29"),
    ("下个月", "下个月", "2026-12-31"),
    ("本月三十一号", "本月三十一号", "2026-11-30"),
])
def test_date_forms(text, words, due):
    found = find_dates(text, TODAY)
    assert [(d.text, d.due.isoformat()) for d in found] == [(words, due)]


@pytest.mark.parametrize("text", ["工号幺零二四七", "尾号三八六二", "逾期十八天了", "分三个月还",
                                  "第一期", "您好"])
def test_no_date(text):
    assert find_dates(text, TODAY) == []


def test_without_start_the_words_stay():
    found = find_dates("下周五前还", None)
    assert [(d.text, d.due) for d in found] == [("下周五", None)]


def test_year_end_is_not_month_end():
    assert [d.due.isoformat() for d in find_dates("年底前", TODAY)] == ["2026-12-31"]
