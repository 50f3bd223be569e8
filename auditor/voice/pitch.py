"""Pitch (F0) over voiced frames: median in Hz and variation in semitones.

``librosa.pyin`` over a whole call costs about half the transcription time, so pitch is tracked
with ``librosa.yin`` (plain numpy FFTs, a few milliseconds per second of speech), only on the
stretches where someone speaks (high-passed at 50 Hz against hum), every 20 ms, and yin's
estimate is kept only on frames that a voicing mask accepts:

- energy: the frame is within ``VOICED_RANGE_DB`` of the stretch's peak level (yin returns an
  estimate for every frame, also for pauses and breath);
- periodicity: the normalised autocorrelation of the frame at yin's period is at least
  ``PERIODICITY_MIN`` (fricatives and noise are aperiodic, vowels are not);
- yin's estimate lies strictly inside the search range (an estimate pinned to a bound is noise).

Variation is the standard deviation of ``12·log2(f0 / median)``, i.e. in semitones around the
speaker's own median, so a low and a high voice are judged on the same scale. Frames more than
``OUTLIER_SEMITONES`` from the median (octave errors of the tracker) are left out of it.
"""

from __future__ import annotations

from collections.abc import Iterable

import librosa
import numpy as np
import scipy.signal

FMIN_HZ = 60.0
FMAX_HZ = 500.0
FRAME_LENGTH = 800  # at 16 kHz: 50 ms, three periods of the lowest F0
HOP_S = 0.020  # 50 estimates a second: plenty for a median and a spread
CORR_S = 0.025  # stretch of each frame over which periodicity is judged
VOICED_RANGE_DB = 20.0
PERIODICITY_MIN = 0.6
OUTLIER_SEMITONES = 10.0
MIN_VOICED_FRAMES = 3
HIGHPASS_HZ = 50.0  # mains hum and rumble below the lowest voice otherwise read as F0


def track(
    x: np.ndarray,
    sample_rate: int,
    ref_db: float | None = None,
    fmin: float = FMIN_HZ,
    fmax: float = FMAX_HZ,
) -> np.ndarray:
    """F0 in Hz of the voiced frames of one speech stretch (an empty array when there are none).

    ``ref_db`` is the stretch's peak level in dBFS; by default the 95th percentile of its frames.
    """
    x = np.asarray(x, dtype=np.float32)
    frame_length = FRAME_LENGTH if sample_rate <= 16000 else int(FRAME_LENGTH * sample_rate / 16000)
    hop = max(1, int(round(HOP_S * sample_rate)))
    if x.size < frame_length // 2 or not np.any(x):
        return np.zeros(0)
    sos = scipy.signal.butter(2, HIGHPASS_HZ, "highpass", fs=sample_rate, output="sos")
    x = scipy.signal.sosfilt(sos, x).astype(np.float32)
    f0 = librosa.yin(
        x, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame_length, hop_length=hop,
        center=True,
    )
    # The same frames yin saw (centred, zero-padded), to judge each one's voicing.
    padded = np.pad(x, frame_length // 2)
    frames = librosa.util.frame(padded, frame_length=frame_length, hop_length=hop).T
    frames = frames[: f0.size].astype(np.float64)

    max_period = int(np.ceil(sample_rate / fmin))
    width = min(int(round(CORR_S * sample_rate)), frame_length - max_period)
    period = np.clip(np.rint(sample_rate / f0).astype(int), 1, max_period)
    offset = (frame_length - width - period) // 2
    idx = offset[:, None] + np.arange(width)[None, :]
    a = np.take_along_axis(frames, idx, axis=1)
    b = np.take_along_axis(frames, idx + period[:, None], axis=1)
    energy_a = np.einsum("ij,ij->i", a, a)
    energy_b = np.einsum("ij,ij->i", b, b)
    corr = np.einsum("ij,ij->i", a, b) / np.sqrt(energy_a * energy_b + 1e-20)

    level = 10.0 * np.log10(energy_a / width + 1e-12)
    if ref_db is None:
        ref_db = float(np.percentile(level, 95))
    voiced = (
        (level >= ref_db - VOICED_RANGE_DB)
        & (corr >= PERIODICITY_MIN)
        & (f0 > fmin * 1.02)
        & (f0 < fmax * 0.98)
    )
    return f0[voiced].astype(np.float64)


def median_hz(f0: np.ndarray) -> float | None:
    """Median F0 of voiced frames, or None with fewer than ``MIN_VOICED_FRAMES``."""
    if f0.size < MIN_VOICED_FRAMES:
        return None
    return float(np.median(f0))


def std_semitones(f0: np.ndarray, median: float | None = None) -> float | None:
    """Spread of F0 in semitones around the median, octave errors left out."""
    if f0.size < MIN_VOICED_FRAMES:
        return None
    median = float(np.median(f0)) if median is None else median
    st = 12.0 * np.log2(f0 / median)
    st = st[np.abs(st) <= OUTLIER_SEMITONES]
    if st.size < MIN_VOICED_FRAMES:
        return None
    return float(np.std(st))


def summarize(tracks: Iterable[np.ndarray]) -> tuple[float | None, float | None]:
    """(median Hz, std semitones) over the voiced frames of several stretches together."""
    arrays = [t for t in tracks if t.size]
    f0 = np.concatenate(arrays) if arrays else np.zeros(0)
    median = median_hz(f0)
    return median, std_semitones(f0, median)
