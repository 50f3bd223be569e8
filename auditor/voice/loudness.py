"""Loudness in dBFS, measured over speech only.

Level is ``20·log10(RMS)`` of the samples (full-scale square wave = 0 dBFS, full-scale sine ≈
-3 dBFS). Pauses inside an utterance would pull its level down by however long the speaker
paused, so the RMS is taken over speech frames only: 25 ms frames every 10 ms, keeping those
within ``SPEECH_RANGE_DB`` of the utterance's own peak level (its 95th percentile frame) and above
``SILENCE_FLOOR_DBFS``. A speaker's overall level is the RMS over all their speech frames (an
energy mean, not a mean of decibels).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

FRAME_S = 0.025
HOP_S = 0.010

#: Frames quieter than this are never speech (digital silence, line noise).
SILENCE_FLOOR_DBFS = -65.0

#: Frames more than this far below the utterance's peak level are pauses, not speech.
SPEECH_RANGE_DB = 25.0

#: A channel's background level is this percentile of its frame levels over the whole call: every
#: call has gaps between turns, so the quietest tenth of its frames is line noise, not speech.
BACKGROUND_PERCENTILE = 10.0

#: For timing speech (where it starts and stops), a frame must also stand this far above the
#: channel's background: speech at a local SNR of about 5 dB over the noise. Without it a noisy
#: line's hiss, within ``SPEECH_RANGE_DB`` of a quiet speaker's peak, counts as speaking time.
OVER_BACKGROUND_DB = 6.0

_TINY = 1e-12


def frame_power(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean square of each 25 ms frame, one frame every 10 ms (frame i starts at i·10 ms)."""
    frame = int(round(FRAME_S * sample_rate))
    hop = int(round(HOP_S * sample_rate))
    x = np.asarray(x, dtype=np.float64)
    if x.size < frame:
        return np.array([np.mean(x**2)]) if x.size else np.zeros(0)
    csum = np.concatenate(([0.0], np.cumsum(x * x)))
    starts = np.arange(0, x.size - frame + 1, hop)
    return (csum[starts + frame] - csum[starts]) / frame


def to_db(power: np.ndarray | float) -> np.ndarray:
    """Power (mean square) to decibels relative to full scale."""
    return 10.0 * np.log10(np.maximum(power, _TINY))


def span_frames(start: float, end: float, n_frames: int) -> slice:
    """Frames whose start lies inside [start, end), clipped to the signal.

    A span shorter than a hop still gets its one frame; a span past the end gets none.
    """
    i0 = min(max(0, int(np.floor(start / HOP_S + 1e-9))), n_frames)
    i1 = min(max(0, int(np.ceil(end / HOP_S - 1e-9))), n_frames)
    if i1 <= i0 < n_frames:
        i1 = i0 + 1
    return slice(i0, max(i0, i1))


def speech_mask(
    power: np.ndarray,
    floor_dbfs: float = SILENCE_FLOOR_DBFS,
    range_db: float = SPEECH_RANGE_DB,
) -> np.ndarray:
    """Which frames of one utterance are speech: near its own peak level and above the floor."""
    if power.size == 0:
        return np.zeros(0, dtype=bool)
    db = to_db(power)
    threshold = max(floor_dbfs, float(np.percentile(db, 95)) - range_db)
    return db >= threshold


def background_db(power: np.ndarray) -> float | None:
    """A channel's background (line noise) level in dB: a low percentile of its frame levels."""
    if power.size == 0:
        return None
    return float(np.percentile(to_db(power), BACKGROUND_PERCENTILE))


def timing_mask(power: np.ndarray, background: float | None) -> np.ndarray:
    """Frames of one utterance that are speech for timing: `speech_mask` frames that also stand
    ``OVER_BACKGROUND_DB`` above the channel's background (None: no background known)."""
    mask = speech_mask(power)
    if background is None or power.size == 0:
        return mask
    return mask & (to_db(power) >= background + OVER_BACKGROUND_DB)


def dbfs_of_power(powers: Iterable[np.ndarray]) -> float | None:
    """Level of the concatenated frame powers, or None when there are none or all are silent."""
    arrays = [np.asarray(p, dtype=np.float64) for p in powers]
    arrays = [p for p in arrays if p.size]
    if not arrays:
        return None
    mean = float(np.mean(np.concatenate(arrays)))
    if mean <= _TINY:
        return None
    return float(10.0 * np.log10(mean))


def rms_dbfs(x: np.ndarray) -> float | None:
    """Plain RMS level of a signal in dBFS (None for an empty or all-zero signal)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return None
    mean = float(np.mean(x * x))
    return float(10.0 * np.log10(mean)) if mean > _TINY else None
