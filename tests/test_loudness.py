"""Loudness: dBFS of known signals, and RMS over speech frames only."""

import numpy as np
import pytest

from auditor.voice.loudness import (
    dbfs_of_power,
    frame_power,
    rms_dbfs,
    span_frames,
    speech_mask,
    to_db,
)

SR = 16000


def test_noise_at_known_rms() -> None:
    rng = np.random.default_rng(1)
    x = 0.1 * rng.standard_normal(SR)  # RMS 0.1 -> -20 dBFS
    assert rms_dbfs(x) == pytest.approx(-20.0, abs=0.2)
    assert dbfs_of_power([frame_power(x, SR)]) == pytest.approx(-20.0, abs=0.2)


def test_full_scale_sine_is_minus_3_dbfs() -> None:
    t = np.arange(SR) / SR
    assert rms_dbfs(np.sin(2 * np.pi * 440 * t)) == pytest.approx(-3.01, abs=0.05)


def test_pause_does_not_lower_speech_loudness() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([0.1 * rng.standard_normal(SR // 2), np.zeros(SR // 2)])
    p = frame_power(x, SR)
    mask = speech_mask(p)
    assert 0.4 < mask.mean() < 0.6  # the silent half is not speech
    assert dbfs_of_power([p[mask]]) == pytest.approx(-20.0, abs=0.5)
    assert rms_dbfs(x) == pytest.approx(-23.0, abs=0.5)  # the plain RMS would be 3 dB low


def test_silence_has_no_loudness() -> None:
    p = frame_power(np.zeros(SR), SR)
    assert not speech_mask(p).any()  # below the floor: never speech
    assert dbfs_of_power([p[speech_mask(p)]]) is None
    assert dbfs_of_power([]) is None
    assert rms_dbfs(np.zeros(10)) is None


def test_frames_every_10_ms() -> None:
    p = frame_power(np.ones(SR), SR)
    assert p.size == 98  # 25 ms frames every 10 ms over 1 s
    assert to_db(p)[0] == pytest.approx(0.0)


def test_span_frames_clips_to_signal() -> None:
    assert span_frames(0.5, 1.0, 1000) == slice(50, 100)
    assert span_frames(9.0, 12.0, 1000) == slice(900, 1000)
    assert span_frames(1.0, 1.004, 1000) == slice(100, 101)  # shorter than a hop: one frame
    sl = span_frames(20.0, 21.0, 1000)  # past the end of the audio: nothing to measure
    assert sl.stop - sl.start == 0
