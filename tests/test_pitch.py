"""Pitch: yin with a voicing mask, median and semitone spread on signals of known F0."""

import numpy as np
import pytest

from auditor.voice import pitch

SR = 16000


def voice(f0: np.ndarray | float, seconds: float, level: float = 0.3) -> np.ndarray:
    """A harmonic tone (5 harmonics) following f0, which may change over time."""
    n = int(seconds * SR)
    f = np.broadcast_to(np.asarray(f0, dtype=float), (n,))
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (level * x / np.max(np.abs(x))).astype(np.float32)


@pytest.mark.parametrize("f0", [100.0, 220.0, 330.0])
def test_median_of_steady_tone_within_2_percent(f0: float) -> None:
    track = pitch.track(voice(f0, 1.0), SR)
    assert track.size > 30  # most frames are voiced
    assert pitch.median_hz(track) == pytest.approx(f0, rel=0.02)
    assert pitch.std_semitones(track) < 0.2


def test_chirp_over_one_octave_spreads_by_its_semitones() -> None:
    seconds = 2.0
    t = np.arange(int(seconds * SR)) / SR
    f0 = 150.0 * 2 ** (t / seconds)  # 150 -> 300 Hz, even in semitones
    median, std = pitch.summarize([pitch.track(voice(f0, seconds), SR)])
    assert median == pytest.approx(150 * 2**0.5, rel=0.03)
    assert std == pytest.approx(12 / np.sqrt(12), abs=0.4)  # uniform over 12 semitones


def test_noise_and_silence_are_not_voiced() -> None:
    rng = np.random.default_rng(3)
    noise = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    assert pitch.track(noise, SR).size < 5
    assert pitch.track(np.zeros(SR, dtype=np.float32), SR).size == 0
    assert pitch.track(np.zeros(100, dtype=np.float32), SR).size == 0  # too short


def test_pauses_inside_a_stretch_are_masked() -> None:
    x = np.concatenate([voice(200.0, 0.5), np.zeros(SR // 2, dtype=np.float32), voice(200.0, 0.5)])
    track = pitch.track(x, SR)
    assert 30 < track.size < 55  # ~1 s of voiced frames out of 1.5 s, at 50 frames a second
    assert pitch.median_hz(track) == pytest.approx(200.0, rel=0.02)


def test_hum_does_not_become_the_pitch() -> None:
    t = np.arange(SR) / SR
    x = voice(220.0, 1.0) + (0.05 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    assert pitch.median_hz(pitch.track(x, SR)) == pytest.approx(220.0, rel=0.02)


def test_octave_errors_do_not_count_in_the_spread() -> None:
    f0 = np.full(100, 200.0)
    f0[:5] = 100.0  # an octave below: 12 semitones, a tracking error
    assert pitch.std_semitones(f0) < 0.01


def test_summaries_of_nothing_are_none() -> None:
    assert pitch.summarize([]) == (None, None)
    assert pitch.summarize([np.zeros(0)]) == (None, None)
    assert pitch.median_hz(np.array([200.0])) is None  # too few frames to say
