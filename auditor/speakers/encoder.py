"""Speaker embeddings (d-vectors) of time spans of a mono call, from a pretrained voice encoder.

Hand-made timbre statistics (``features.embed``) separate two synthetic voices, but two real
people on a narrow-band line barely: their cepstral means overlap and a shouted line moves them
more than a change of speaker does. A voice encoder trained to tell thousands of speakers apart
(a GE2E d-vector network: three LSTM layers of 256 over 40 mel bands, a 256-d projection,
Wan et al. 2018) maps each span to a unit vector where one person's lines lie close together
whatever they say. The weights are the ones the Resemblyzer package publishes on PyPI, turned
into a numpy archive by ``make setup`` (``scripts/fetch_voice_encoder.py``); the network runs
here in numpy, with no deep-learning framework.

``embed_spans`` is a pure function of the samples and the spans; ``load_encoder`` reads the
weights once per process (cached on the file's path). Without the weights file the attribution
goes on without embeddings (``available`` says whether they can be had).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from auditor.core.errors import AuditorError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "AUDITOR_VOICE_ENCODER"
DEFAULT_WEIGHTS = PROJECT_ROOT / "models" / "voice-encoder" / "ge2e.npz"

SAMPLE_RATE = 16000
N_MELS = 40
WINDOW = 400  # 25 ms analysis window at 16 kHz
HOP = 160  # 10 ms hop
PARTIAL = 160  # frames per partial utterance (1.6 s), as the network was trained
PARTIAL_HOP = 80  # partials overlap by half inside a long span
MIN_FRAMES = 30  # a span shorter than 0.3 s of frames gives no embedding
TARGET_DBFS = -30.0  # each span's level is raised to this before the network (never lowered)
LAYERS = 3


class VoiceEncoderError(AuditorError):
    """The voice encoder's weights are missing or malformed."""


@dataclass(frozen=True)
class Encoder:
    """The network's weights. Gate rows are in the order input, forget, cell, output; the
    input, forget and output rows are pre-scaled by 1/2 so one tanh gives every gate
    (sigmoid(x) = (1 + tanh(x / 2)) / 2)."""

    w_ih: tuple[np.ndarray, ...]
    w_hh: tuple[np.ndarray, ...]
    bias: tuple[np.ndarray, ...]
    proj_w: np.ndarray
    proj_b: np.ndarray


def weights_path(path: str | Path | None = None) -> Path:
    """The weights file: the argument, else $AUDITOR_VOICE_ENCODER, else models/voice-encoder."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_WEIGHTS)


def available(path: str | Path | None = None) -> bool:
    """True when the weights file is there (``make setup`` fetches it)."""
    return weights_path(path).is_file()


def missing_note(path: str | Path | None = None) -> str | None:
    """One sentence for whoever starts an audit when the weights are not there, else None.

    The attribution goes on without them (timbre statistics alone), which is much weaker on
    real voices: a batch that silently ran that way would look fine and attribute worse."""
    if available(path):
        return None
    return (f"No voice encoder weights at {weights_path(path)}: mono calls will be attributed "
            f"from timbre statistics alone, which separates real voices poorly; run `make "
            f"setup` (or set {ENV_VAR}).")


@functools.lru_cache(maxsize=2)
def _load(path: str) -> Encoder:
    try:
        with np.load(path) as npz:
            arrays = {k: npz[k].astype(np.float32) for k in npz.files}
    except (OSError, ValueError) as exc:
        raise VoiceEncoderError(f"Cannot read the voice encoder weights {path}: {exc}.") from exc
    try:
        scale = np.concatenate([np.full(256, 0.5), np.full(256, 0.5), np.ones(256),
                                np.full(256, 0.5)]).astype(np.float32)
        w_ih = tuple(arrays[f"lstm.weight_ih_l{k}"] * scale[:, None] for k in range(LAYERS))
        w_hh = tuple(arrays[f"lstm.weight_hh_l{k}"] * scale[:, None] for k in range(LAYERS))
        bias = tuple((arrays[f"lstm.bias_ih_l{k}"] + arrays[f"lstm.bias_hh_l{k}"]) * scale
                     for k in range(LAYERS))
        enc = Encoder(tuple(np.ascontiguousarray(w.T) for w in w_ih),
                      tuple(np.ascontiguousarray(w.T) for w in w_hh), bias,
                      np.ascontiguousarray(arrays["linear.weight"].T), arrays["linear.bias"])
    except KeyError as exc:
        raise VoiceEncoderError(f"The voice encoder weights {path} lack {exc}; run "
                                f"`make setup` again.") from exc
    if enc.w_ih[0].shape != (N_MELS, 1024):
        raise VoiceEncoderError(f"The voice encoder weights {path} are not a 40-band, "
                                f"256-unit network (input {enc.w_ih[0].shape}).")
    return enc


def load_encoder(path: str | Path | None = None) -> Encoder:
    """The network, read once per process and weights file. Raises VoiceEncoderError."""
    p = weights_path(path)
    if not p.is_file():
        raise VoiceEncoderError(f"No voice encoder weights at {p}; run `make setup` (or set "
                                f"{ENV_VAR}).")
    return _load(str(p.resolve()))


def forward(enc: Encoder, mels: np.ndarray) -> np.ndarray:
    """Unit d-vectors of a batch of partials, (batch, frames, 40) power mel -> (batch, 256)."""
    x = mels.astype(np.float32, copy=False)
    h = np.zeros((x.shape[0], 256), np.float32)
    for w_ih, w_hh, b in zip(enc.w_ih, enc.w_hh, enc.bias, strict=True):
        pre = x @ w_ih + b  # (batch, frames, 1024): the input's part of every step at once
        h = np.zeros((x.shape[0], 256), np.float32)
        c = np.zeros_like(h)
        out = np.empty((x.shape[0], x.shape[1], 256), np.float32)
        for t in range(x.shape[1]):
            g = np.tanh(pre[:, t] + h @ w_hh)
            i, f, o = (g[:, :256] + 1) * 0.5, (g[:, 256:512] + 1) * 0.5, (g[:, 768:] + 1) * 0.5
            c = f * c + i * g[:, 512:768]
            h = o * np.tanh(c)
            out[:, t] = h
        x = out
    e = np.maximum(h @ enc.proj_w + enc.proj_b, 0.0)
    return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-9)


def mel_frames(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The network's input for a whole signal: 40-band power mel, 25 ms / 10 ms, (frames, 40)."""
    import librosa

    y = np.asarray(samples, dtype=np.float32).reshape(-1)
    if sample_rate != SAMPLE_RATE:
        y = librosa.resample(y, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
    if y.size < WINDOW:
        y = np.pad(y, (0, WINDOW - y.size))
    spec = np.abs(librosa.stft(y, n_fft=512, win_length=WINDOW, hop_length=HOP)) ** 2
    fb = _filterbank()
    return (fb @ spec).T.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _filterbank() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=512, n_mels=N_MELS).astype(np.float32)


def embed_spans(samples: np.ndarray, sample_rate: int, spans: list[tuple[float, float]],
                enc: Encoder) -> list[np.ndarray | None]:
    """One unit d-vector per (start, end) span in seconds, or None for a span under 0.3 s.

    Each span is cut into partials of 1.6 s (half overlapping; a shorter span is padded with
    silence, as the network's own inference does), its level raised to -30 dBFS, and the
    partials' embeddings averaged. All partials of a call go through the network as one batch.
    """
    mel = mel_frames(samples, sample_rate)
    y = np.asarray(samples, dtype=np.float32).reshape(-1)
    batch, owner = [], []
    for k, (start, end) in enumerate(spans):
        a, b = max(0, int(start * 100)), min(len(mel), int(end * 100))
        if b - a < MIN_FRAMES:
            continue
        seg = y[int(start * sample_rate): int(end * sample_rate)]
        rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if seg.size else 0.0
        gain = 1.0
        if rms > 0:
            change_db = TARGET_DBFS - 20 * np.log10(rms)
            gain = 10 ** (change_db / 10) if change_db > 0 else 1.0  # power: gain squared
        m = mel[a:b] * gain
        if len(m) < PARTIAL:
            m = np.pad(m, ((0, PARTIAL - len(m)), (0, 0)))
        for s in range(0, len(m) - PARTIAL + 1, PARTIAL_HOP):
            batch.append(m[s: s + PARTIAL])
            owner.append(k)
    out: list[np.ndarray | None] = [None] * len(spans)
    if not batch:
        return out
    emb = forward(enc, np.stack(batch))
    own = np.array(owner)
    for k in set(owner):
        v = emb[own == k].mean(axis=0)
        out[k] = v / max(float(np.linalg.norm(v)), 1e-9)
    return out


def utterance_embeddings(samples: np.ndarray, sample_rate: int, utterances: list[dict],
                         path: str | Path | None = None) -> list[np.ndarray | None] | None:
    """Each utterance's d-vector (``embed_spans`` over its start..end), or None for the whole
    call when the weights are not installed (the attribution then uses the timbre windows)."""
    from threadpoolctl import threadpool_limits

    if not available(path):
        return None
    spans = [(float(u["start"]), float(u["end"])) for u in utterances]
    enc = load_encoder(path)
    # One BLAS thread: the products are small and the nightly batch runs calls side by side;
    # a thread pool fighting the other workers for two cores costs four times the work.
    with threadpool_limits(limits=1, user_api="blas"):
        return embed_spans(samples, sample_rate, spans, enc)
