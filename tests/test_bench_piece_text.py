"""bench.piece_text: pieces without a transcript get the recogniser's text, once (cached).

No model: the recogniser is replaced by a function that counts its calls.
"""

from __future__ import annotations

import numpy as np

from bench import bench_mixdown as mix
from bench.piece_text import fill_texts, piece_key


def test_only_empty_texts_are_heard_and_each_piece_once(tmp_path):
    a = np.linspace(-0.1, 0.1, 800, dtype=np.float32)
    b = np.linspace(0.1, -0.1, 800, dtype=np.float32)
    heard: list[str] = []

    def hear(clip: np.ndarray) -> str:
        heard.append(piece_key(clip))
        return f"听到{len(heard)}"

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
