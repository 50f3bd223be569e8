"""Telephone-band detection and the noise floor above the band edge (no model)."""

import numpy as np
from scipy import signal

from auditor.audio.band import high_band_db, is_narrowband, speech_level, with_noise_floor

RATE = 16000


def _noise(seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * RATE)).astype(np.float32)


def _low_passed(x: np.ndarray, edge: float = 3600.0) -> np.ndarray:
    sos = signal.butter(10, edge, "lowpass", fs=RATE, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def _band_power(x: np.ndarray, lo: float, hi: float) -> float:
    freqs, power = signal.welch(x.astype(np.float64), fs=RATE, nperseg=512)
    return float(power[(freqs > lo) & (freqs < hi)].mean())


def test_full_band_noise_is_not_narrowband():
    x = 0.1 * _noise()
    assert abs(high_band_db(x, RATE, 4000)) < 1.0  # white: the same density either side
    assert not is_narrowband(x, RATE, 4000, -40)


def test_a_telephone_line_upsampled_is_narrowband():
    import soxr

    line = soxr.resample(0.1 * _noise(), RATE, 8000)  # what an 8 kHz line carries
    heard = soxr.resample(line, 8000, RATE).astype(np.float32)  # decoded back to 16 kHz
    assert high_band_db(heard, RATE, 4000) < -60
    assert is_narrowband(heard, RATE, 4000, -40)


def test_silence_and_short_input_are_not_narrowband():
    assert not is_narrowband(np.zeros(RATE, dtype=np.float32), RATE, 4000, -40)
    assert not is_narrowband(np.ones(100, dtype=np.float32), RATE, 4000, -40)
    assert np.isnan(high_band_db(_noise(), 8000, 4000))  # no room above the edge at 8 kHz


def test_speech_level_ignores_the_pauses():
    x = np.zeros(RATE * 2, dtype=np.float32)
    x[: RATE // 2] = 0.2 * np.sign(_noise(0.5))  # a quarter of the channel speaks at RMS 0.2
    assert abs(speech_level(x, RATE) - 0.2 / np.sqrt(2)) < 1e-3  # louder half: 1/2 at 0.2
    assert speech_level(np.zeros(0, dtype=np.float32), RATE) == 0.0


def test_noise_floor_fills_only_above_the_edge_at_the_asked_level():
    x = _low_passed(0.1 * _noise())
    y = with_noise_floor(x, RATE, 4000, -40)
    assert y.dtype == np.float32 and y.shape == x.shape
    below = _band_power(y - x, 300, 3000)
    above = _band_power(y - x, 4500, 7500)
    assert below < above * 1e-4  # the speech band is left as it was
    added = float(np.sqrt(np.mean(np.square(y - x))))
    assert abs(20 * np.log10(added / speech_level(x, RATE)) + 40) < 0.5
    assert not is_narrowband(y, RATE, 4000, -40)  # the floor is what fills the band
    assert np.array_equal(y, with_noise_floor(x, RATE, 4000, -40))  # seeded: repeatable


def test_noise_floor_leaves_silence_and_impossible_edges_alone():
    zeros = np.zeros(RATE, dtype=np.float32)
    assert np.array_equal(with_noise_floor(zeros, RATE, 4000, -40), zeros)
    x = _noise()
    assert with_noise_floor(x, RATE, 8000, -40) is x
