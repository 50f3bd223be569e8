"""The beam's readings of a window chosen with jieba's word frequencies (no model)."""

import math

from auditor.asr.lexicon import best_reading, lexicon_logprob
from auditor.compliance.tokens import tokenizer


def score(text: str) -> float:
    return lexicon_logprob(text, tokenizer())


def test_words_score_above_same_sounding_characters_that_make_none():
    assert score("您的欠款已经逾期了") > score("您的千款已经于七了")
    assert score("，。") == 0.0
    assert score("逾期") == score("逾期。")  # punctuation does not count


def test_the_score_is_per_character_so_length_alone_does_not_decide():
    assert abs(score("今天天气很好") - score("今天天气很好今天天气很好")) < 1.0


def test_a_close_second_reading_that_makes_words_wins():
    readings = [("您的千款已经于七了", -0.30), ("您的欠款已经逾期了", -0.32)]
    assert best_reading(readings, 0.1, score) == 1


def test_a_far_less_probable_reading_does_not_win_on_words_alone():
    readings = [("您的千款已经于七了", -0.30), ("您的欠款已经逾期了", -3.0)]
    assert best_reading(readings, 0.1, score) == 0


def test_weight_zero_a_single_reading_and_empty_readings_keep_the_first():
    readings = [("您的千款已经于七了", -0.30), ("您的欠款已经逾期了", -0.32)]
    assert best_reading(readings, 0.0, score) == 0
    assert best_reading(readings[:1], 0.1, score) == 0
    assert best_reading([("您的千款", -0.3), ("", 0.0)], 0.1, score) == 0
    assert best_reading([("", -0.3), ("", 0.0)], 0.1, lambda t: -math.inf) == 0


def test_a_reading_with_other_numerals_is_never_taken():
    readings = [("号码幺三八零零幺二", -0.30), ("号码要三八零零要二", -0.30),
                ("号码一三八零零一二", -0.31)]
    assert best_reading(readings, 1.0, score) == 2  # 一 and 幺 are the same digit
    assert best_reading(readings[:2], 1.0, score) == 0
