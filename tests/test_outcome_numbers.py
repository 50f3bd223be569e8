"""Numerals in every notation, and sums of money found in a line."""

import pytest

from auditor.outcome import find_amounts, parse_number


@pytest.mark.parametrize("text, value", [
    ("两千", 2000), ("2千", 2000), ("一万二", 12000), ("3,500", 3500), ("三千五", 3500),
    ("五百", 500), ("六千一", 6100), ("四千二百", 4200), ("一万零五百", 10500),
    ("三万四千五百六十七", 34567), ("十五", 15), ("二十五", 25), ("二零二六", 2026),
    ("一万五千", 15000), ("1.5万", 15000), ("两万零六百", 20600), ("一百二十", 120),
    ("3千5", 3500), ("12345", 12345), ("一千零五", 1005), ("两万五", 25000), ("十万", 100000),
    ("3，500", 3500), ("八千八", 8800),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_not_a_number():
    assert parse_number("你好") is None
    assert parse_number("") is None


@pytest.mark.parametrize("text, values", [
    ("3,500元", [3500]), ("五百块", [500]), ("两千块钱", [2000]), ("先还一万二", [12000]),
    ("还三千五吧", [3500]), ("2千元", [2000]), ("欠款一万二千三百四十五元", [12345]),
])
def test_amounts_in_each_notation(text, values):
    assert [a.value for a in find_amounts(text)] == values


@pytest.mark.parametrize("text", [
    "工号幺零二四七", "尾号三八六二", "逾期十八天了", "分十二期", "十二月五号", "第一期", "三个月",
])
def test_not_money(text):
    assert find_amounts(text) == []


def test_agrees_with_cn2an_where_cn2an_reads_the_numeral():
    cn2an = pytest.importorskip("cn2an")
    for text in ["两千", "一万二", "三千五", "六千一", "一万零五百", "三万四千五百六十七",
                 "两万零六百", "1.5万", "3千5", "一千零五", "两万五", "八千八",
                 "十二万", "一百二十"]:
        assert parse_number(text) == float(cn2an.cn2an(text, "smart")), text
