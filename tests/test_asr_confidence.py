"""Per-line recogniser confidence, mono packing with real pauses, and the compare bench's
normalisation, all without the model."""

from __future__ import annotations

import dataclasses

from auditor.asr.settings import load_asr_settings
from auditor.asr.transcribe import (
    Pack,
    Piece,
    assign_words,
    compression_ratio,
    pack_pieces,
    piece_confidence,
)
from auditor.cli.card import render_card
from auditor.pipeline import pieces_to_utterances
from bench.asr_compare import digit_strings, held_out, normalise, score

SETTINGS = load_asr_settings().confidence


def _piece(text: str, **kw) -> Piece:
    piece = Piece(0, (0.0, 2.0), (0.0, 2.0), text=text)
    for key, value in kw.items():
        setattr(piece, key, value)
    return piece


def test_confident_text_scores_high_and_each_signal_lowers_it():
    good = _piece("您好请问是张先生吗", word_logprobs=[-0.05] * 9, aligned_chars=9)
    base = piece_confidence(good, SETTINGS)
    assert base is not None and base > 0.85
    unsure = dataclasses.replace(good, word_logprobs=[-1.2] * 9)
    silent = dataclasses.replace(good, no_speech_prob=0.7)
    guessed = dataclasses.replace(good, aligned_chars=2, guessed_chars=7)
    looped = dataclasses.replace(good, text="借呗" * 30)
    for worse in (unsure, silent, guessed, looped):
        value = piece_confidence(worse, SETTINGS)
        assert value is not None and 0.0 <= value < base
    assert round(base, 3) == base


def test_no_text_has_no_confidence_and_decoded_alone_uses_the_decoder_figure():
    assert piece_confidence(_piece(" 。"), SETTINGS) is None
    alone = _piece("对", word_logprobs=None, avg_logprob=-0.3, aligned_chars=1)
    assert abs(piece_confidence(alone, SETTINGS) - round(2.718281828 ** -0.3, 3)) < 0.002


def test_a_weight_of_zero_ignores_that_signal():
    guessed = _piece("您好", word_logprobs=[0.0, 0.0], aligned_chars=0, guessed_chars=2)
    off = dataclasses.replace(SETTINGS, alignment_weight=0.0)
    assert piece_confidence(guessed, off) == 1.0
    assert piece_confidence(guessed, SETTINGS) < 1.0


def test_compression_ratio_is_high_for_loops():
    assert compression_ratio("借呗" * 40) > 2.4 > compression_ratio("您好请问是张先生吗")


def test_alignment_counts_characters_heard_inside_and_outside_a_piece():
    a = Piece(0, (0.0, 1.0), (0.0, 1.0))
    b = Piece(0, (3.0, 4.0), (3.0, 4.0))
    pack = Pack([a, b], [(0.0, 1.0), (3.0, 4.0)], [0.0, 1.6], 2.6)
    words = [{"word": "您", "start": 0.1, "end": 0.3, "probability": 0.9},
             {"word": "好", "start": 0.4, "end": 0.6, "probability": 0.8},
             {"word": "是", "start": 1.1, "end": 1.15, "probability": 0.5},  # in the gap
             {"word": "我", "start": 1.8, "end": 2.0, "probability": 0.9}]
    assign_words(pack, words)
    assert (a.text, a.aligned_chars, a.guessed_chars) == ("您好是", 2, 1)
    assert (b.text, b.aligned_chars, b.guessed_chars) == ("我", 1, 0)
    assert len(a.word_logprobs) == 3


def test_mono_pieces_with_a_short_pause_are_decoded_with_the_real_audio_between():
    # mono windows reach half-way to the neighbour, so they touch
    pieces = [Piece(0, (0.5, 2.0), (0.0, 2.2)), Piece(0, (2.4, 4.0), (2.2, 4.6)),
              Piece(0, (6.0, 7.0), (5.3, 7.6))]
    packs = pack_pieces(pieces, 28.0, 0.6, join=False, join_pause_s=0.6)
    assert len(packs) == 1
    spans = packs[0].spans
    assert spans[1][0] == spans[0][1]          # joined: real audio, no silence inserted
    assert packs[0].offsets[2] > spans[1][1] - spans[0][0]  # long pause: a silence between
    apart = pack_pieces(pieces, 28.0, 0.6, join=False, join_pause_s=0.0)
    assert apart[0].offsets[1] > apart[0].spans[0][1] - apart[0].spans[0][0]
    touching = [Piece(0, (0.5, 2.0), (0.0, 2.0)), Piece(0, (2.0, 3.0), (2.0, 3.5))]
    off = pack_pieces(touching, 28.0, 0.6, join=False, join_pause_s=0.0)[0]
    assert abs(off.offsets[1] - 2.6) < 1e-9 and not touching[1].heard_with_previous


def test_utterances_and_the_human_view_carry_the_confidence():
    sure = Piece(0, (0.5, 2.0), (0.3, 2.2), text="您好", confidence=0.91)
    unsure = Piece(0, (3.0, 4.0), (2.8, 4.2), text="于七", confidence=0.2)
    utts = pieces_to_utterances([sure, unsure], channels=1, agent_channel=0)
    assert [u["confidence"] for u in utts] == [0.91, 0.2]
    card = {"file": "x.wav", "utterances": [dict(u, speaker="agent") for u in utts],
            "flags": []}
    text = render_card(card)
    lines = [ln for ln in text.splitlines() if ln.startswith("[")]
    assert "?" not in lines[0] and "? confidence 0.20" in lines[1]


def test_compare_normalises_digits_and_counts_exact_strings():
    assert normalise("1 3 8-0") == normalise("幺三八零") == "幺三八零"
    assert digit_strings(normalise("电话一三八零零幺二三四五六")) == ["幺三八零零幺二三四五六"]
    s = score("幺三八零零幺二三四五六", "13800123456")
    assert s["errors"] == 0 and s["digits_ok"] == s["digits"] == 1
    assert score("幺三八零零幺二三四五六", "1380012345")["digits_ok"] == 0
    names = [f"clip{i:03d}" for i in range(200)]
    share = sum(held_out(n) for n in names) / len(names)
    assert 0.35 < share < 0.65 and [held_out(n) for n in names] == [held_out(n) for n in names]


def test_a_number_cut_across_pieces_is_decoded_again_whole(monkeypatch):
    from auditor.asr.transcribe import Transcriber

    t = object.__new__(Transcriber)
    t.settings = dataclasses.replace(load_asr_settings(), number_join_gap_s=1.5)
    seen = []

    def decode_packs(channels, packs):
        seen.extend(packs)
        for pack in packs:
            pack.pieces[0].text, pack.pieces[1].text = "请记一下幺三八零零", "幺二三四五六"

    monkeypatch.setattr(t, "_decode_packs", decode_packs)
    a = Piece(0, (0.5, 2.0), (0.0, 2.4), text="请记一下幺三八")
    b = Piece(0, (2.8, 4.0), (2.4, 4.5), text="零幺二三四五六")
    c = Piece(0, (9.0, 10.0), (8.5, 10.5), text="五六")   # too far away
    d = Piece(0, (10.4, 11.0), (10.5, 11.5), text="好的")  # no numeral at the edge
    t._join_numbers(None, [a, b, c, d])
    assert len(seen) == 1 and seen[0].pieces == [a, b]
    assert seen[0].spans[0][1] == seen[0].spans[1][0]  # one stretch of real audio
    assert a.text + b.text == "请记一下幺三八零零幺二三四五六"
    assert "number_joined" in a.repairs and not c.repairs


def test_number_joining_is_off_at_zero(monkeypatch):
    from auditor.asr.transcribe import Transcriber

    t = object.__new__(Transcriber)
    t.settings = dataclasses.replace(load_asr_settings(), number_join_gap_s=0.0)
    monkeypatch.setattr(t, "_decode_packs", lambda ch, packs: (_ for _ in ()).throw(
        AssertionError("decoded again")))
    t._join_numbers(None, [Piece(0, (0.5, 2.0), (0.0, 2.4), text="幺三八"),
                           Piece(0, (2.8, 4.0), (2.4, 4.5), text="零零幺二")])


def test_pieces_already_heard_together_are_not_decoded_again(monkeypatch):
    from auditor.asr.transcribe import Transcriber

    t = object.__new__(Transcriber)
    t.settings = dataclasses.replace(load_asr_settings(), number_join_gap_s=1.5)
    monkeypatch.setattr(t, "_decode_packs", lambda ch, packs: (_ for _ in ()).throw(
        AssertionError("decoded again")))
    a = Piece(0, (0.5, 2.0), (0.0, 2.2), text="幺三八")
    b = Piece(0, (2.3, 4.0), (2.2, 4.5), text="零零幺二")
    pack_pieces([a, b], 28.0, 0.6, join=False, join_pause_s=0.6)
    assert b.heard_with_previous
    t._join_numbers(None, [a, b])
