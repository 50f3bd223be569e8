"""Speech rate: what counts as a spoken character, and what counts as speaking time."""

import numpy as np
import pytest

from auditor.voice.speech_rate import (
    pooled_rate_cpm,
    rate_cpm,
    read_integer,
    speaking_seconds,
    spoken_units,
)


@pytest.mark.parametrize(
    ("n", "reading"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (105, "一百零五"),
        (1050, "一千零五十"),
        (4200, "四千二百"),
        (10005, "一万零五"),
        (12345, "一万二千三百四十五"),
        (100000, "十万"),
    ],
)
def test_read_integer_reads_quantities_as_spoken(n: int, reading: str) -> None:
    assert read_integer(n) == reading


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("您好，请问是李明先生吗？", 10),  # punctuation counts nothing
        ("欠款12345元", 12),  # 欠款 + 一万二千三百四十五 + 元
        ("欠款四千二百元", 7),  # written in characters: one each
        ("欠款4200元", 7),  # the same amount in digits reads the same
        ("尾号1234", 6),  # card tail read digit by digit
        ("13812345678", 11),  # a phone number: one syllable per digit
        ("2024年", 5),  # a year: 二零二四年
        ("12.5%", 7),  # 百分之十二点五
        ("1,234,567元", 14),  # 一百二十三万四千五百六十七元: an amount is a quantity
        ("1,234,567", 13),  # a thousands grouping is an amount's mark even without a unit
        ("手机号是187,302,95203", 15),  # commas at a read-out number's pauses: digit by digit
        ("回电400-989-4627", 12),  # a number written with hyphens: digit by digit
        ("因为号2933的", 8),  # any label ending in 号 names an identifier (a misheard 尾号)
        ("编号为10086", 8),  # 号 + a copula, then the number read out
        ("28号10点", 6),  # a date's 号 comes after its number; 10点 after it is a time
        ("这个号2000元", 6),  # a unit after it still makes an amount: 二千元
        ("OK，APP上看", 7),  # acronyms spelt out
        ("hello", 2),
        ("", 0),
        ("……！？", 0),
    ],
)
def test_spoken_units(text: str, units: int) -> None:
    assert spoken_units(text) == units


@pytest.mark.parametrize(
    ("text", "default", "least"),
    [
        ("公后55899", 11, 7),  # a misheard 工号: 五万五千八百九十九 or five digits read out
        ("还100", 3, 3),  # 一百 is the shorter reading either way
        ("100块", 3, 3),  # a unit marks an amount: read as a quantity even at the least
        ("工号55899", 7, 7),  # a context word marks digits read out
        ("13812345678", 11, 11),  # seven digits or more: read out
    ],
)
def test_spoken_units_least_reads_an_unmarked_number_the_shorter_way(
        text: str, default: int, least: int) -> None:
    assert spoken_units(text) == default
    assert spoken_units(text, least=True) == least


def test_fullwidth_digits_count_like_ascii() -> None:
    assert spoken_units("尾号１２３４") == spoken_units("尾号1234")


def test_speaking_seconds_trims_edges_and_long_pauses() -> None:
    hop = 0.01
    mask = np.zeros(500, dtype=bool)
    mask[50:150] = True  # 1.0 s of speech after 0.5 s of lead-in
    mask[180:250] = True  # 0.3 s pause (kept), 0.7 s speech
    mask[400:450] = True  # 1.5 s pause (removed), 0.5 s speech; 0.5 s trailing silence
    assert speaking_seconds(mask, hop, 5.0) == pytest.approx(1.0 + 0.3 + 0.7 + 0.5)


def test_speaking_seconds_without_speech_frames_uses_the_span() -> None:
    assert speaking_seconds(None, 0.01, 2.5) == 2.5
    assert speaking_seconds(np.zeros(100, dtype=bool), 0.01, 1.0) == 1.0


def test_rate_cpm_and_pooling() -> None:
    assert rate_cpm(10, 2.0) == pytest.approx(300.0)
    assert rate_cpm(0, 2.0) is None  # no text
    assert rate_cpm(3, 0.1) is None  # too short to say
    # pooled is all characters over all time, not the mean of the two rates (300 and 600)
    assert pooled_rate_cpm([10, 10], [2.0, 1.0]) == pytest.approx(400.0)
    assert pooled_rate_cpm([], []) is None
