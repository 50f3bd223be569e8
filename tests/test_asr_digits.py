"""Digit stretches decoded again with a digits-aware prompt, and the prompt guards (no model)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from auditor.asr.settings import load_asr_settings
from auditor.asr.transcribe import (
    Pack,
    Piece,
    Transcriber,
    longest_number,
    longest_numeral_run,
    words_logprob,
)

TEXTS = {1: "我的电话是幺三八", 2: "零零幺二", 3: "腰三八", 4: "您好", 5: "号码是", 6: "。",
         7: "我的电话是幺三二八零零幺二", 8: "我的电话是幺三八零零幺二"}
DIGIT_PROMPT = [9, 9, 9]


def _words(text: str, prob: float) -> list[dict]:
    return [{"word": ch, "start": 0.1 * i, "end": 0.1 * (i + 1), "probability": prob}
            for i, ch in enumerate(text)]


def _scripted(settings, script, scores):
    """A Transcriber whose decoder answers `script[(window id, prompt kind)]` and whose forced
    alignment gives every character of a token list the probability `scores[tuple(tokens)]`."""
    t = Transcriber.__new__(Transcriber)
    t.settings = settings
    t.model = type("M", (), {"max_length": 448, "encode": staticmethod(lambda f: f)})()
    t.to_simplified = lambda s: s
    t.prompt = [0, 1, 2]
    t.digit_prompt = DIGIT_PROMPT
    t.calls = []
    t.digit_redecodes = 0

    def generate(encoded, n, budget, repetition_penalty=1.0, temperature=0.0, prompt=None):
        ids = [int(f[0]) for f in encoded]
        kind = "digits" if prompt == DIGIT_PROMPT else "plain"
        t.calls.append((kind, ids))
        return [script[(i, kind)] for i in ids]

    def align(encoded, tokens, frames):
        return [_words(t._text(tk), scores[tuple(tk)]) if tk else [] for tk in tokens]

    t._generate_encoded = generate
    t._align = align
    t._text = lambda tokens: "".join(TEXTS[k] for k in tokens)
    return t


def _pack():
    return Pack([Piece(0, (0.0, 4.0), (0.0, 4.0))], [(0.0, 4.0)], [0.0], 4.0)


ON = dataclasses.replace(load_asr_settings(), digit_redecode_min=3, digit_prompt="号码：")


def _run(settings, tokens, script, scores):
    t = _scripted(settings, script, scores)
    packs = [_pack() for _ in tokens]
    features = np.arange(len(tokens), dtype=np.float32).reshape(len(tokens), 1)
    words = t._align(features, tokens, [400] * len(tokens))
    t._redecode_digits(features, packs, tokens, words, [400] * len(tokens))
    return t, packs, words


def test_only_windows_with_a_run_of_numerals_are_decoded_again():
    tokens = [[4], [1]]  # no numerals; 幺三八 (three in a row)
    script = {(1, "digits"): ([1, 2], -0.2, 0.0)}
    scores = {(4,): 0.9, (1,): 0.5, (1, 2): 0.7}
    t, packs, words = _run(ON, tokens, script, scores)
    assert t.calls == [("digits", [1])]
    assert tokens == [[4], [1, 2]]
    assert "digit_prompt" in packs[1].repairs and packs[0].repairs == []
    assert "".join(w["word"] for w in words[1]) == "我的电话是幺三八零零幺二"


def test_the_first_reading_stays_when_the_decoder_finds_it_more_probable():
    tokens = [[1]]
    script = {(0, "digits"): ([5, 3], -0.1, 0.0)}
    scores = {(1,): 0.8, (5, 3): 0.4}
    _, packs, _ = _run(ON, tokens, script, scores)
    assert tokens == [[1]] and packs[0].repairs == []


def test_a_reading_that_stops_before_the_number_ends_never_replaces_the_whole_one():
    # the first reading heard 幺三八零零幺二; the second stops after 幺三八 and, having left
    # the unsure digits out, scores higher on the characters it kept
    tokens = [[1, 2]]
    script = {(0, "digits"): ([1, 6], -0.1, 0.0)}
    scores = {(1, 2): 0.5, (1, 6): 0.9}
    _, packs, _ = _run(ON, tokens, script, scores)
    assert tokens == [[1, 2]] and packs[0].repairs == []


def test_a_shorter_number_with_other_digits_may_replace_the_first():
    # the first reading put a digit in (幺三八零零幺二 heard with an extra 二 in the middle)
    tokens = [[7]]
    script = {(0, "digits"): ([8], -0.1, 0.0)}
    scores = {(7,): 0.5, (8,): 0.9}
    _, packs, _ = _run(ON, tokens, script, scores)
    assert tokens == [[8]] and "digit_prompt" in packs[0].repairs


def test_a_reading_that_is_only_the_prompt_is_never_kept():
    settings = dataclasses.replace(ON, digit_prompt="号码是")
    tokens = [[1]]
    script = {(0, "digits"): ([5], -0.1, 0.0)}
    scores = {(1,): 0.3, (5,): 0.99}
    _, _, _ = _run(settings, tokens, script, scores)
    assert tokens == [[1]]


def test_zero_switches_the_second_decoding_off():
    settings = dataclasses.replace(ON, digit_redecode_min=0)
    t, _, _ = _run(settings, [[1]], {}, {(1,): 0.5})
    assert t.calls == []


def test_numeral_runs_ignore_punctuation_and_mix_scripts():
    assert longest_numeral_run("电话是138，0012 3456") == 11
    assert longest_numeral_run("幺三八零零") == 5
    assert longest_numeral_run("您好") == 0
    assert longest_numeral_run("三千五百二十") == 1  # an amount, not digits read one by one
    assert longest_number("电话是幺三八，0012 一三") == "138001213"


def test_words_logprob_weighs_every_character():
    words = [{"word": "幺三", "probability": 0.5}, {"word": "，", "probability": 0.01},
             {"word": "八", "probability": 1.0}]
    assert math.isclose(words_logprob(words), 2 * math.log(0.5) / 3)
    assert words_logprob([]) == -math.inf


def _asks(settings, text: str, prob: float) -> bool:
    t = _scripted(settings, {}, {})
    return t._digits_may_pay(text, _words(text, prob))


GATED = dataclasses.replace(load_asr_settings(), digit_redecode_min=7,
                            digit_redecode_short_min=4, digit_redecode_logprob=-0.5)


def test_a_run_of_personal_number_length_is_decoded_again_however_confident():
    assert _asks(GATED, "我的电话是幺三八零零幺二三四五六", 0.99)
    # a digit-sounding character between numerals does not hide the number (腰 for 幺)
    assert _asks(GATED, "号码是幺三八腰零零幺", 0.99)


def test_a_short_run_is_decoded_again_only_when_the_decoder_was_unsure():
    assert not _asks(GATED, "二零二六年还款", 0.95)  # a year, heard confidently
    assert _asks(GATED, "尾号是三四五六", 0.3)  # exp(-0.5) = 0.61: unsure digits
    assert not _asks(GATED, "三四五", 0.1)  # too short to be part of a number worth it


def test_amounts_and_plain_text_are_never_decoded_again():
    assert not _asks(GATED, "欠款三千五百二十元", 0.1)
    assert not _asks(GATED, "您好，请问是张先生吗", 0.1)


def test_the_unsure_test_can_be_switched_off():
    off = dataclasses.replace(GATED, digit_redecode_short_min=0)
    assert not _asks(off, "尾号是三四五六", 0.01)
    assert _asks(off, "幺三八零零幺二三四", 0.99)


def test_a_window_decoded_again_reuses_its_encoder_output():
    """The second decoding of a window starts from the encoder output of the first (the
    encoder costs more than the decoding); the scripted model counts its encoder runs."""
    t = _scripted(ON, {(1, "digits"): ([1, 2], -0.2, 0.0)}, {(4,): 0.9, (1,): 0.5, (1, 2): 0.7})
    encodes = []
    t.model.encode = lambda f: encodes.append(f) or f
    tokens = [[4], [1]]
    features = np.arange(2, dtype=np.float32).reshape(2, 1)
    words = t._align(features, tokens, [400, 400])
    t._redecode_digits(features, [_pack(), _pack()], tokens, words, [400, 400])
    assert encodes == [] and t.calls == [("digits", [1])] and tokens[1] == [1, 2]
