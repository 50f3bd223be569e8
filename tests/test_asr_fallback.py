"""Temperature fallback in the product's window decoding, with a scripted decoder (no model)."""

from __future__ import annotations

import dataclasses

import numpy as np

from auditor.asr.settings import load_asr_settings
from auditor.asr.transcribe import Pack, Piece, Transcriber

TEXTS = {1: "您好请问是张先生吗", 2: "嗯", 3: "借呗" * 30, 4: "我们这边是平台的", 5: "对"}


class _Model:
    max_length = 448

    def encode(self, features):
        return features


def _scripted(settings, script):
    """A Transcriber whose decoder answers from `script[(window id, temperature)]`.

    Each window's features hold its id, so the fake decoder knows which window it decodes.
    """
    t = Transcriber.__new__(Transcriber)
    t.settings = settings
    t.model = _Model()
    t.to_simplified = lambda s: s
    t.prompt = [0, 1, 2]
    t.calls = []

    def generate(encoded, n, budget, repetition_penalty=1.0, temperature=0.0):
        ids = [int(f[0]) for f in encoded]
        assert len(ids) == n
        t.calls.append((temperature, ids))
        return [script[(i, round(temperature, 2))] for i in ids]

    t._generate_encoded = generate
    t._text = lambda tokens: "".join(TEXTS[k] for k in tokens)
    return t


def _pack(logprob, no_speech=0.0):
    pack = Pack([Piece(0, (0.0, 3.0), (0.0, 3.0))], [(0.0, 3.0)], [0.0], 3.0)
    pack.avg_logprob, pack.no_speech_prob = logprob, no_speech
    return pack


SETTINGS = dataclasses.replace(load_asr_settings(), fallback_tries=5)  # on, as faster-whisper


def test_only_poor_windows_are_retried_and_the_first_passing_temperature_is_kept():
    packs = [_pack(-0.2), _pack(-1.6), _pack(-1.5, no_speech=0.9), _pack(-0.3)]
    tokens = [[1], [2], [5], [3]]  # good; improbable; silence; a loop
    script = {(1, 0.2): ([2], -1.4, 0.0), (1, 0.4): ([4], -0.7, 0.0),
              (3, 0.2): ([4], -0.5, 0.0)}
    t = _scripted(SETTINGS, script)
    features = np.arange(4, dtype=np.float32).reshape(4, 1)
    t._fallback(features, packs, tokens)
    assert t.calls == [(0.2, [1, 3]), (0.4, [1])]
    assert tokens == [[1], [4], [5], [4]]
    assert packs[1].avg_logprob == -0.7 and "temperature" in packs[1].repairs
    assert packs[0].repairs == [] and packs[2].repairs == []


def test_when_no_temperature_passes_the_most_probable_decoding_that_does_not_loop_is_kept():
    settings = dataclasses.replace(SETTINGS, fallback_tries=2)
    packs = [_pack(-1.8)]
    tokens = [[2]]
    script = {(0, 0.2): ([3], -0.1, 0.0), (0, 0.4): ([5], -1.2, 0.0)}
    t = _scripted(settings, script)
    t._fallback(np.zeros((1, 1), dtype=np.float32), packs, tokens)
    assert len(t.calls) == 2
    assert tokens == [[5]] and packs[0].avg_logprob == -1.2  # the loop at -0.1 is passed over


def test_zero_tries_switches_the_fallback_off():
    settings = dataclasses.replace(SETTINGS, fallback_tries=0)
    tokens = [[2]]
    t = _scripted(settings, {})
    t._fallback(np.zeros((1, 1), dtype=np.float32), [_pack(-3.0)], tokens)
    assert t.calls == [] and tokens == [[2]]
