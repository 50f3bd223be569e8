"""Telephone-band audio: notice it, and give the recogniser a noise floor above the band edge.

A telephone line (8 kHz sampling, G.711, AMR-NB) carries nothing above about 4 kHz. Upsampled
to 16 kHz, the upper third of Whisper's log-mel bands is then digital silence, which the model
seldom met in training: its log-mel values sit at the spectrogram's clamp (80 dB under the
window's loudest bin). A faint flat noise floor above the band edge, as a microphone's own
noise would leave there, puts those bands back at a level the model knows, without inventing
any speech. Pure functions over 1-D float32 arrays; the recogniser applies them per channel.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

_SPEECH_LOW_HZ = 300.0
_FRAME_S = 0.02


def high_band_db(samples: np.ndarray, rate: int, edge_hz: float) -> float:
    """Mean power density above `edge_hz` against that of the speech band below it, in dB.

    Welch's estimate over the whole channel: the band above the edge is (1.1 x edge, 0.47 x
    rate), the speech band (300 Hz, 0.85 x edge). -inf for a signal with nothing above the
    edge, nan when the channel is silent or the rate leaves no room above the edge.
    """
    top = 0.47 * rate
    if samples.size < 256 or 1.1 * edge_hz >= top:
        return float("nan")
    freqs, power = signal.welch(samples.astype(np.float64), fs=rate, nperseg=512)
    high = power[(freqs > 1.1 * edge_hz) & (freqs < top)].mean()
    speech = power[(freqs > _SPEECH_LOW_HZ) & (freqs < 0.85 * edge_hz)].mean()
    if speech <= 0:
        return float("nan")
    return float(10 * np.log10(high / speech)) if high > 0 else float("-inf")


def is_narrowband(samples: np.ndarray, rate: int, edge_hz: float, max_db: float) -> bool:
    """Whether the channel's band ends at `edge_hz`: the power above it is more than `max_db`
    under the speech band's (a 16 kHz microphone recording sits at about -20 dB, a telephone
    line upsampled at -60 dB or lower). A silent channel is not narrowband."""
    ratio = high_band_db(samples, rate, edge_hz)
    return bool(ratio < max_db)  # nan compares False


def speech_level(samples: np.ndarray, rate: int) -> float:
    """RMS of the louder half of the channel's 20 ms frames (its speech, not its pauses)."""
    n = max(1, int(_FRAME_S * rate))
    frames = samples[: samples.size // n * n].reshape(-1, n) if samples.size >= n else None
    if frames is None or not len(frames):
        return float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0
    energy = np.sort(np.mean(np.square(frames.astype(np.float64)), axis=1))
    return float(np.sqrt(energy[len(energy) // 2:].mean()))


def with_noise_floor(samples: np.ndarray, rate: int, edge_hz: float, level_db: float,
                     seed: int = 0) -> np.ndarray:
    """`samples` with white noise above `edge_hz` added, `level_db` under the speech level
    (8th-order Butterworth high-pass; seeded, so a call is heard the same every run). The
    band below the edge is left as it was."""
    level = speech_level(samples, rate) * 10 ** (level_db / 20)
    if level <= 0 or edge_hz >= 0.5 * rate:
        return samples
    noise = np.random.default_rng(seed).standard_normal(samples.size)
    sos = signal.butter(8, edge_hz, "highpass", fs=rate, output="sos")
    floor = signal.sosfilt(sos, noise)
    floor *= level / (np.sqrt(np.mean(np.square(floor))) or 1.0)
    return (samples + floor).astype(np.float32)
