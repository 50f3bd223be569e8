"""Same-sounding characters inside a number read out are written back as digits (no model)."""

from auditor.asr.digits import restore_digits, sounds_like_digit
from auditor.asr.settings import load_asr_settings

SETTINGS = load_asr_settings()
SYLLABLES = dict(SETTINGS.digit_syllables)
MIN = SETTINGS.restore_min_numerals


def test_a_digit_heard_as_a_homophone_inside_a_long_number_is_restored():
    assert restore_digits("幺三幺零八三七三要四八", SYLLABLES, MIN) == "幺三幺零八三七三幺四八"
    heard = restore_digits("一三八，零零要二，三四五六", SYLLABLES, MIN)
    assert heard == "一三八，零零幺二，三四五六"


def test_arabic_numbers_get_an_arabic_digit():
    assert restore_digits("电话138要2345678", SYLLABLES, MIN) == "电话13812345678"


def test_ordinary_text_and_the_edges_of_a_number_are_left_as_heard():
    for text in ("我要一三八的", "幺三八零八五五三三幺六吧", "他三十三岁要不要",
                 "要幺三八零八五五"):
        assert restore_digits(text, SYLLABLES, MIN) == text


def test_a_short_run_is_not_enough_evidence_and_zero_switches_it_off():
    assert restore_digits("三要四", SYLLABLES, MIN) == "三要四"
    assert restore_digits("幺三幺零八三七三要四八", SYLLABLES, 0) == "幺三幺零八三七三要四八"


def test_sounds_like_digit_reads_any_reading_but_never_a_numeral():
    assert sounds_like_digit("要", SYLLABLES) == "幺"
    assert sounds_like_digit("酒", SYLLABLES) == "九"
    assert sounds_like_digit("三", SYLLABLES) is None
    assert sounds_like_digit("好", SYLLABLES) is None
