"""A stereo call whose channels carry one signal is decoded once and attributed as mono; a real
two-party stereo call keeps one party per channel (the pipeline's use of audio/channels.py)."""

from __future__ import annotations

import numpy as np

from auditor import pipeline
from auditor.asr.transcribe import Piece
from auditor.audio.decode import Audio
from auditor.pipeline import Auditor

RATE = 16000


def _speech(seconds: float, seed: int, active: list[tuple[float, float]]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    on = np.zeros(n)
    for start, end in active:
        on[int(start * RATE):int(end * RATE)] = 1.0
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None)
    return (0.1 * rng.standard_normal(n) * envelope * on).astype(np.float32)


class _Recorder:
    """Stands in for the Transcriber: records what it was asked to decode, writes a text."""

    def __init__(self) -> None:
        self.decoded_channels: list[int] = []

    def decode(self, channels: np.ndarray, pieces: list[Piece]) -> list[Piece]:
        self.decoded_channels.append(int(channels.shape[0]))
        for piece in pieces:
            piece.text = "您好，请问是张伟先生吗？" if piece.channel == 0 else "是我。"
            piece.confidence = 0.9
        return pieces


def _pieces(audio: Audio, settings, frames=None) -> list[Piece]:
    """One piece per channel per four seconds (instead of the VAD)."""
    return [Piece(ch, (t, t + 3.0), (t, t + 3.0)) for ch in range(audio.channels)
            for t in (0.0, 4.0, 8.0)]


def _audit(monkeypatch, samples: np.ndarray) -> tuple[dict, _Recorder]:
    monkeypatch.setattr(pipeline, "find_pieces", _pieces)
    auditor = Auditor(load_asr=False)
    recorder = _Recorder()
    auditor._transcriber = recorder
    audio = Audio(samples=samples, sample_rate=RATE, source_rate=8000, codec="pcm_mulaw")
    return auditor.audit_audio(audio, "call.wav", None, score=False), recorder


def test_a_mono_call_written_to_both_channels_is_heard_once_as_mono(monkeypatch):
    one = _speech(12, 1, [(0.0, 12.0)])
    card, recorder = _audit(monkeypatch, np.stack([one, 0.5 * one]))
    assert recorder.decoded_channels == [1]
    assert card["layout"] == "mono" and card["channels"] == 2
    assert card["channel_check"]["one_signal"] is True
    starts = [u["start"] for u in card["utterances"]]
    assert len(starts) == 3 and len(set(starts)) == 3  # one channel's pieces, not each twice


def test_a_two_party_stereo_call_keeps_its_channels(monkeypatch):
    agent = _speech(12, 2, [(0.0, 3.0), (6.0, 9.0)])
    customer = _speech(12, 3, [(3.0, 6.0), (9.0, 12.0)])
    card, recorder = _audit(monkeypatch, np.stack([agent, customer]))
    assert recorder.decoded_channels == [2]
    assert card["layout"] == "stereo" and card["channels"] == 2
    assert card["channel_check"]["one_signal"] is False
    assert {u["speaker"] for u in card["utterances"]} == {"agent", "customer"}
