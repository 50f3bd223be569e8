"""Find the stretches of speech in one channel, and shape them into utterances.

Uses the Silero VAD that ships inside faster-whisper (an ONNX file in its wheel), so nothing is
downloaded. Functions take a 1-D float32 array at 16 kHz and return (start_s, end_s) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

Region = tuple[float, float]


@dataclass(frozen=True)
class VadSettings:
    """The [vad] and [utterances] tables of config/asr.toml (defaults there only)."""

    threshold: float
    min_silence_ms: int
    mono_min_silence_ms: int
    min_speech_ms: int
    speech_pad_ms: int
    merge_gap_s: float
    max_utterance_s: float
    context_s: float
    crosstalk_db: float


def speech_regions(samples: np.ndarray, sample_rate: int, settings: VadSettings,
                   mono: bool = False) -> list[Region]:
    """Speech stretches of one channel, in seconds, sorted and non-overlapping.

    On a mono channel both parties alternate, often with short gaps, so a shorter pause ends a
    stretch there (`mono_min_silence_ms`).
    """
    if samples.size == 0 or not np.any(samples):
        return []
    options = VadOptions(
        threshold=settings.threshold,
        min_silence_duration_ms=settings.mono_min_silence_ms if mono else settings.min_silence_ms,
        min_speech_duration_ms=settings.min_speech_ms,
        speech_pad_ms=settings.speech_pad_ms,
    )
    stamps = get_speech_timestamps(samples, options, sampling_rate=sample_rate)
    return [(s["start"] / sample_rate, s["end"] / sample_rate) for s in stamps]


def merge_regions(regions: list[Region], max_gap_s: float, max_len_s: float) -> list[Region]:
    """Join stretches separated by short pauses, never making one longer than `max_len_s`."""
    merged: list[Region] = []
    for start, end in regions:
        if merged and start - merged[-1][1] <= max_gap_s and end - merged[-1][0] <= max_len_s:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def split_long(regions: list[Region], samples: np.ndarray, sample_rate: int, max_len_s: float
               ) -> list[Region]:
    """Cut any stretch longer than `max_len_s` at its quietest point, recursively."""
    out: list[Region] = []
    for start, end in regions:
        if end - start <= max_len_s:
            out.append((start, end))
            continue
        cut = quietest_point(samples, sample_rate, start, end)
        out.extend(split_long([(start, cut), (cut, end)], samples, sample_rate, max_len_s))
    return out


def quietest_point(samples: np.ndarray, sample_rate: int, start: float, end: float) -> float:
    """The time of the lowest-energy 100 ms frame in the middle 60% of [start, end]."""
    lo = start + 0.2 * (end - start)
    hi = end - 0.2 * (end - start)
    frame = int(0.1 * sample_rate)
    a, b = int(lo * sample_rate), int(hi * sample_rate)
    segment = samples[a:b]
    n = len(segment) // frame
    if n < 2:
        return (start + end) / 2
    energy = (segment[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    return lo + (int(np.argmin(energy)) + 0.5) * frame / sample_rate


def decoding_windows(regions: list[Region], duration_s: float, context_s: float) -> list[Region]:
    """Each stretch widened by up to `context_s` of real audio, never past half-way to a neighbour.

    Whisper recognises a stretch better with a little lead-in; the limit keeps a neighbour's
    words out of it.
    """
    windows: list[Region] = []
    for i, (start, end) in enumerate(regions):
        left = regions[i - 1][1] if i > 0 else 0.0
        right = regions[i + 1][0] if i + 1 < len(regions) else duration_s
        lo = max(start - context_s, (left + start) / 2 if i > 0 else 0.0)
        hi = min(end + context_s, (end + right) / 2 if i + 1 < len(regions) else duration_s)
        windows.append((max(0.0, lo), min(duration_s, hi)))
    return windows


def suppress_crosstalk(samples: np.ndarray, sample_rate: int, below_db: float,
                       frame_s: float = 0.02, min_run_s: float = 0.25) -> np.ndarray:
    """A copy of a two-channel call with each channel's echo of the other party muted.

    Telephone recordings often carry a faint copy of one party on the other's channel;
    transcribed, it puts the agent's words in the customer's mouth. A frame of channel A is
    echo when something is there (above A's noise floor) but, within 100 ms either side, never
    comes within `below_db` of A's own speech level, while channel B is speaking at its own
    level; only runs of such frames at least
    `min_run_s` long are muted, because the dips between a speaker's own syllables during
    double talk are short. A real reply or backchannel is spoken at the party's own level and
    stays; a recording without echo comes back unchanged. Used for speech detection and
    decoding only; the voice measures read the recording as it is.
    """
    if samples.ndim != 2 or samples.shape[0] != 2 or below_db <= 0:
        return samples
    frame = max(1, int(frame_s * sample_rate))
    n = samples.shape[1] // frame
    if n < 10:
        return samples
    power = (samples[:, : n * frame].astype(np.float64).reshape(2, n, frame) ** 2).mean(axis=2)
    db = 10 * np.log10(power + 1e-12)
    floor = np.percentile(db, 10, axis=1)
    levels = []
    for ch in (0, 1):
        active = db[ch][db[ch] > floor[ch] + 10.0]
        # the channel's own speech level, from frames well above its noise (none: no speech)
        levels.append(float(np.percentile(active, 90)) if active.size >= 25 else None)
    cleaned = samples.copy()
    min_run = max(1, int(round(min_run_s / frame_s)))
    span = max(1, int(round(0.1 / frame_s)))  # judge each frame with its neighbours (±100 ms)
    for ch in (0, 1):
        other = 1 - ch
        if levels[ch] is None or levels[other] is None:
            continue
        own, far = _running_max(db[ch], span), _running_max(db[other], span)
        echo = ((own < levels[ch] - below_db) & (own > floor[ch] + 6.0)
                & (far > levels[other] - 10.0))
        echo = _long_runs(echo, min_run)
        if not echo.any():
            continue
        echo = echo | np.roll(echo, 1) | np.roll(echo, -1)  # the echo's word edges go too
        cleaned[ch, : n * frame] *= np.repeat(~echo, frame).astype(np.float32)
    return cleaned


def _running_max(values: np.ndarray, span: int) -> np.ndarray:
    """The largest value within `span` frames either side of each frame."""
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(values, size=2 * span + 1, mode="nearest")


def _long_runs(mask: np.ndarray, min_run: int) -> np.ndarray:
    """`mask` keeping only runs of True at least `min_run` long."""
    out = np.zeros_like(mask)
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start >= min_run:
            out[start:stop] = True
    return out
