"""Per-frame voice features of a mono call: mel-cepstrum and its deltas, a coarse spectrum,
level and voiced pitch.

Computed once per call by ``voice_frames`` (the pipeline does it before the VAD splitting) and
then handed to both users: the speaker-change splitting before decoding and the attribution
after it. ``embed`` turns a time span of those frames into one voice vector. Acoustic features
come from librosa only (mel-cepstrum and ``librosa.yin``); no model download.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FRAME_RATE = 50  # analysis frames per second (20 ms hop): enough for speaker statistics
N_MFCC = 14  # c1..c13 are used (c0 is loudness, which says little about who speaks)
F0_MIN, F0_MAX = 70.0, 420.0
N_BANDS = 8  # long-term average spectrum: 40 mel bands pooled into this many
PITCH_SR = 8000  # pitch is tracked at this rate


@dataclass(frozen=True)
class VoiceFrames:
    """Frame-level features of one call (FRAME_RATE frames per second)."""

    mfcc: np.ndarray  # (T, N_MFCC - 1), c1..c13
    delta: np.ndarray  # (T, N_MFCC - 1), frame-to-frame change of c1..c13 (articulation)
    bands_db: np.ndarray  # (T, N_BANDS), mel band levels pooled into N_BANDS bands
    energy_db: np.ndarray  # (T,)
    semitones: np.ndarray  # (T,) pitch in semitones re 100 Hz, NaN where not voiced
    gate_db: float  # frames quieter than this are ignored (pauses, line noise)


def voice_frames(samples: np.ndarray, sample_rate: int) -> VoiceFrames:
    """Mel-cepstrum, frame energy and voiced pitch of a whole mono signal.

    The one place these features are computed: call it once per call and pass the result on.
    BLAS runs single-threaded here: the products are small, and on a busy machine (the nightly
    batch runs calls side by side) its thread pool costs more than it saves.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _voice_frames(samples, sample_rate)


def _voice_frames(samples: np.ndarray, sample_rate: int) -> VoiceFrames:
    import librosa

    sr = sample_rate
    y = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).reshape(-1))
    hop = max(1, sr // FRAME_RATE)
    n_fft = 512 if sr <= 16000 else 1024
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=40, fmin=60.0, fmax=min(7600.0, sr / 2)
    )
    mel_db = librosa.power_to_db(mel + 1e-10, ref=1.0)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC)[1:].T
    delta = librosa.feature.delta(mfcc.T, width=5, mode="nearest").T if len(mfcc) >= 5 \
        else np.zeros_like(mfcc)
    bands_db = np.stack([b.mean(axis=0) for b in np.array_split(mel_db, N_BANDS)], axis=1)
    energy_db = 10.0 * np.log10(mel.sum(axis=0) + 1e-10)
    # Pitch from the signal at 8 kHz (a telephone line's own rate; F0 and its first harmonics sit
    # far below 4 kHz): yin's autocorrelations cost a quarter, the frames stay the same.
    ys, srp = y, sr
    if sr > PITCH_SR and sr % PITCH_SR == 0:
        from scipy.signal import resample_poly

        ys, srp = resample_poly(y, 1, sr // PITCH_SR).astype(np.float32), PITCH_SR
    hop_p = max(1, srp // FRAME_RATE)
    frame_len = max(2 * hop_p, int(2 ** math.ceil(math.log2(2.2 * srp / F0_MIN))))
    f0 = librosa.yin(ys, fmin=F0_MIN, fmax=F0_MAX, sr=srp, frame_length=frame_len,
                     hop_length=hop_p)
    n = min(len(energy_db), len(f0), mfcc.shape[0])
    mfcc, energy_db, f0 = mfcc[:n], energy_db[:n], f0[:n]
    delta, bands_db = delta[:n], bands_db[:n]
    loud = np.percentile(energy_db, 95) if n else 0.0
    gate = float(max(loud - 35.0, np.percentile(energy_db, 10) + 6.0)) if n else 0.0
    return VoiceFrames(mfcc, delta, bands_db, energy_db, _voiced_semitones(f0, energy_db, gate),
                       gate)


def _voiced_semitones(f0: np.ndarray, energy_db: np.ndarray, gate: float) -> np.ndarray:
    """Pitch in semitones where it looks voiced: loud enough, inside the range, and continuous.

    ``librosa.yin`` returns a value for every frame; on noise and consonants it jumps around, so
    a frame counts only when its neighbours agree within a semitone (cheaper than pyin).
    """
    st = 12.0 * np.log2(np.maximum(f0, 1e-3) / 100.0)
    ok = (energy_db > gate + 6.0) & (f0 > F0_MIN * 1.05) & (f0 < F0_MAX * 0.95)
    d_prev = np.abs(np.diff(st, prepend=np.inf))
    d_next = np.abs(np.diff(st, append=np.inf))
    ok &= (d_prev < 1.0) & (d_next < 1.0)
    return np.where(ok, st, np.nan)


def embed(fr: VoiceFrames, start: float, end: float) -> tuple[np.ndarray, float] | None:
    """Voice vector of a time span and its gated speech seconds (None if too little speech).

    Layout (see ``EMBED_INDEX``): pitch 10th/50th/90th percentile in semitones (register and
    range), median level in dB (near and far end of a line rarely match), mean c1..c13 (timbre,
    line), the spread of their deltas (how the voice moves between sounds), and the long-term
    average spectrum of the span in N_BANDS bands relative to its own mean (spectral envelope
    and microphone, independent of level). Shouting moves pitch and level most; the envelope
    statistics change far less, so the attribution leans on them and uses pitch and level as
    weak evidence only.
    """
    a = max(0, int(round(start * FRAME_RATE)))
    b = min(len(fr.energy_db), int(round(end * FRAME_RATE)))
    if b - a < 5:
        return None
    e = fr.energy_db[a:b]
    keep = e > max(fr.gate_db, float(e.max()) - 30.0)
    if keep.sum() < 5:
        return None
    st = fr.semitones[a:b][keep]
    st = st[~np.isnan(st)]
    pitch = _percentiles(st, (10.0, 50.0, 90.0)) if st.size >= 5 else np.full(3, np.nan)
    level = float(_percentiles(e[keep], (50.0,))[0])
    ltas = fr.bands_db[a:b][keep].mean(axis=0)
    vec = np.concatenate([pitch, [level], fr.mfcc[a:b][keep].mean(axis=0),
                          fr.delta[a:b][keep].std(axis=0), ltas - ltas.mean()])
    return vec, float(keep.sum()) / FRAME_RATE


def _percentiles(v: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """``np.percentile(v, qs)`` (linear interpolation) from one sort: embed runs per window,
    and numpy's general percentile costs more than the rest of the vector together."""
    srt = np.sort(v)
    pos = np.asarray(qs) / 100.0 * (len(srt) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(srt) - 1)
    return srt[lo] + (srt[hi] - srt[lo]) * (pos - lo)


_M = N_MFCC - 1
EMBED_INDEX = {"pitch": slice(0, 3), "level": slice(3, 4), "mfcc": slice(4, 4 + _M),
               "delta": slice(4 + _M, 4 + 2 * _M),
               "ltas": slice(4 + 2 * _M, 4 + 2 * _M + N_BANDS)}
