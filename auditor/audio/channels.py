"""Whether the two channels of a stereo recording carry one signal (a mono call saved as stereo).

Many recorders and exports write a mono call to both channels (identical, or one a scaled or
slightly shifted copy). Treated as stereo, each "party" would hold the other's words: the whole
call decoded twice and every line given to both the agent and the customer. A real two-party
recording has each channel dominated by its own speaker (at most a faint echo of the other), so
its channels correlate weakly while anyone speaks; a duplicated signal correlates almost
perfectly in every stretch. The test is therefore per block of signal, not on the whole file, so
that one loud stretch present on both channels cannot make a two-party call look like one.

Pure functions on arrays; the thresholds come from config/asr.toml [channels].
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from auditor.audio.decode import Audio


@dataclass(frozen=True)
class ChannelCheck:
    """What the comparison of the two channels found.

    `correlation`: median correlation of the channels over the blocks that carry signal (at the
    best small shift); `agreeing`: share of those blocks whose correlation reaches the
    threshold; `lag_ms`: the shift of channel 1 against channel 0; `gain_db`: level of channel 1
    against channel 0; `one_signal`: the channels carry one signal (treat the call as mono).
    """

    correlation: float
    agreeing: float
    lag_ms: float
    gain_db: float
    blocks: int
    one_signal: bool

    def to_dict(self) -> dict[str, float | int | bool]:
        """The scorecard's record of the check (rounded)."""
        return {"one_signal": self.one_signal, "correlation": round(self.correlation, 4),
                "agreeing": round(self.agreeing, 3), "lag_ms": round(self.lag_ms, 2),
                "gain_db": round(self.gain_db, 2), "blocks": self.blocks}


def best_lag(a: np.ndarray, b: np.ndarray, max_lag: int) -> int:
    """The shift k (|k| <= max_lag) at which b[t + k] best matches a[t] (cross-correlation)."""
    if max_lag <= 0 or a.size == 0:
        return 0
    n = a.size + b.size - 1
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(a, size).conj() * np.fft.rfft(b, size)
    full = np.fft.irfft(spectrum, size)  # full[k] = sum_t a[t] * b[t + k], k mod size
    lags = np.arange(-max_lag, max_lag + 1)
    return int(lags[int(np.argmax(np.abs(full[lags % size])))])


def _shifted(b: np.ndarray, lag: int) -> np.ndarray:
    """b moved so that out[t] = b[t + lag] (zeros where b has no sample)."""
    if lag == 0:
        return b
    out = np.zeros_like(b)
    if lag > 0:
        out[:-lag] = b[lag:]
    else:
        out[-lag:] = b[:lag]
    return out


def compare_channels(samples: np.ndarray, sample_rate: int, min_correlation: float,
                     min_agreeing: float, block_s: float = 0.5, max_lag_ms: float = 5.0,
                     search_s: float = 30.0, floor_db: float = 40.0) -> ChannelCheck | None:
    """Compare the two channels of `samples` (shape (2, n)); None unless there are two.

    The channels are first aligned at the shift (up to `max_lag_ms`) that correlates best over
    the loudest `search_s` seconds; then every `block_s` block whose energy (both channels)
    lies within `floor_db` of the loudest block is compared: the call carries one signal when
    the median block correlation and the share of blocks reaching `min_correlation` are at least
    `min_correlation` and `min_agreeing`. A sign-inverted copy counts as the same signal. A
    channel that is silent throughout is not a copy (a stereo call with one party absent).
    """
    if samples.ndim != 2 or samples.shape[0] != 2:
        return None
    a = np.asarray(samples[0], dtype=np.float32)  # float32 sums over a block are precise enough
    b = np.asarray(samples[1], dtype=np.float32)
    block = max(1, int(block_s * sample_rate))
    n = a.size // block
    energy_a = np.einsum("ij,ij->i", a[: n * block].reshape(n, block),
                         a[: n * block].reshape(n, block), dtype=np.float64) if n else np.zeros(0)
    energy_b = np.einsum("ij,ij->i", b[: n * block].reshape(n, block),
                         b[: n * block].reshape(n, block), dtype=np.float64) if n else np.zeros(0)
    power_a, power_b = float(energy_a.sum()), float(energy_b.sum())
    if n == 0 or power_a <= 1e-12 or power_b <= 1e-12:
        return ChannelCheck(0.0, 0.0, 0.0, 0.0, 0, False)
    gain_db = 10 * np.log10(power_b / power_a)
    # The shift, from the loudest blocks only (bounded cost on a long call).
    total = energy_a + energy_b
    keep = max(1, int(search_s / block_s))
    loud = np.sort(np.argsort(total)[-keep:])
    idx = (loud[:, None] * block + np.arange(block)[None, :]).ravel()
    lag = best_lag(a[idx].astype(np.float64), b[idx].astype(np.float64),
                   int(max_lag_ms * sample_rate / 1000))
    b = _shifted(b, lag)
    active = total >= total.max() * 10 ** (-floor_db / 10)
    xa = a[: n * block].reshape(n, block)[active]
    xb = b[: n * block].reshape(n, block)[active]
    xa = xa - xa.mean(axis=1, keepdims=True)
    xb = xb - xb.mean(axis=1, keepdims=True)
    dot = np.einsum("ij,ij->i", xa, xb, dtype=np.float64)
    denom = np.sqrt(np.einsum("ij,ij->i", xa, xa, dtype=np.float64)
                    * np.einsum("ij,ij->i", xb, xb, dtype=np.float64))
    corr = np.where(denom > 0, np.abs(dot) / np.maximum(denom, 1e-300), 0.0)
    median = float(np.median(corr)) if corr.size else 0.0
    agreeing = float(np.mean(corr >= min_correlation)) if corr.size else 0.0
    one = bool(corr.size) and median >= min_correlation and agreeing >= min_agreeing
    return ChannelCheck(median, agreeing, 1000 * lag / sample_rate, float(gain_db),
                        int(corr.size), one)


def as_mono_if_one_signal(audio: Audio, min_correlation: float, min_agreeing: float
                          ) -> tuple[Audio, ChannelCheck | None]:
    """`audio` as one channel (the louder) when its two channels carry one signal, with the
    check (None for a mono recording). Otherwise the audio comes back unchanged."""
    check = compare_channels(audio.samples, audio.sample_rate, min_correlation, min_agreeing)
    if check is None or not check.one_signal:
        return audio, check
    louder = 1 if check.gain_db > 0 else 0
    mono = np.ascontiguousarray(audio.samples[louder:louder + 1])
    return dataclasses.replace(audio, samples=mono), check
