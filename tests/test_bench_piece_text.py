"""bench.piece_text: pieces without a transcript get the recogniser's text, once (cached).

No model: the recogniser is replaced by a function that counts its calls.
"""

from __future__ import annotations

import numpy as np

from bench import bench_mixdown as mix
from bench import piece_text
from bench.piece_text import confidence_of, fill_texts, heard_confidence, piece_key


def test_only_empty_texts_are_heard_and_each_piece_once(tmp_path):
    a = np.linspace(-0.1, 0.1, 800, dtype=np.float32)
    b = np.linspace(0.1, -0.1, 800, dtype=np.float32)
    heard: list[str] = []

    def hear(clip: np.ndarray) -> tuple[str, float]:
        heard.append(piece_key(clip))
        return f"听到{len(heard)}", 0.4

    pieces = [(a, ""), (b, "原文")]
    out = fill_texts(pieces, hear, tmp_path)
    assert [t for _c, t in out] == ["听到1", "原文"]
    assert heard == [piece_key(a)]
    again = fill_texts(pieces, hear, tmp_path)  # from the cache: not heard again
    assert [t for _c, t in again] == ["听到1", "原文"] and len(heard) == 1
    assert out[0][0] is a  # the audio is the same piece


def test_the_bench_leaves_texts_alone_unless_asked(monkeypatch):
    voices = {"extra:x": [(np.zeros(10, np.float32), "")]}
    monkeypatch.delenv("AUDITOR_PIECE_TEXT", raising=False)
    assert mix._texted(voices) is voices
    monkeypatch.setenv("AUDITOR_PIECE_TEXT", "heard")
    assert mix._heard_text()


def test_the_recognisers_confidence_is_kept_with_the_text(tmp_path, monkeypatch):
    a = np.linspace(-0.2, 0.2, 800, dtype=np.float32)
    b = np.linspace(0.3, -0.3, 800, dtype=np.float32)
    fill_texts([(a, ""), (b, "原文")], lambda clip: ("听到", 0.35), tmp_path)
    assert confidence_of(a) == 0.35
    assert confidence_of(b) is None  # a piece with its own transcript was not heard
    # read back from the cache (a new run: nothing kept in memory), with no recogniser at all
    monkeypatch.setattr(piece_text, "_CONFIDENCE", {})
    assert confidence_of(a) is None
    again = np.array(a)
    out = fill_texts([(again, "")], lambda clip: (_ for _ in ()).throw(AssertionError), tmp_path)
    assert out[0][1] == "听到" and confidence_of(again) == 0.35


def test_a_pieces_confidence_is_its_utterances_weighted_by_length():
    lines = [{"start": 0.0, "end": 3.0, "confidence": 0.8},
             {"start": 3.0, "end": 4.0, "confidence": 0.4},
             {"start": 4.0, "end": 5.0}]  # no confidence: left out
    assert abs(heard_confidence(lines) - 0.7) < 1e-9
    assert heard_confidence([{"start": 0.0, "end": 1.0}]) is None
    assert heard_confidence([]) is None


def test_a_heard_line_of_a_built_call_carries_the_confidence(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    agent = [(0.1 * rng.standard_normal(16000).astype(np.float32), "") for _ in range(2)]
    cust = [(0.1 * rng.standard_normal(12000).astype(np.float32), "") for _ in range(2)]
    confidences = {piece_key(c): 0.5 + 0.1 * k for k, (c, _t) in enumerate(agent + cust)}
    heard = fill_texts(agent + cust, lambda clip: ("听到", confidences[piece_key(clip)]),
                       tmp_path)
    monkeypatch.setenv("AUDITOR_PIECE_TEXT", "heard")
    call = mix.two_voice_call("extra:a", heard[:2], "extra:b", heard[2:])
    assert call is not None and len(call.truth) == 4
    assert sorted(u["confidence"] for u in call.truth) == [0.5, 0.6, 0.7, 0.8]
    monkeypatch.delenv("AUDITOR_PIECE_TEXT")
    plain = mix.two_voice_call("extra:a", heard[:2], "extra:b", heard[2:])
    assert all("confidence" not in u for u in plain.truth)
