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
    """The [vad] and [utterances] tables of config/asr.toml."""

    threshold: float = 0.5
    min_silence_ms: int = 300
    mono_min_silence_ms: int = 150
    min_speech_ms: int = 200
    speech_pad_ms: int = 100
    merge_gap_s: float = 0.8
    max_utterance_s: float = 20.0
    context_s: float = 0.6


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
