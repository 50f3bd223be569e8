"""Decode any call recording once into per-channel float32 arrays at 16 kHz.

PyAV (the FFmpeg libraries bundled in its wheel) reads WAV (PCM, μ-law, A-law), FLAC, MP3,
M4A/AAC and OGG/Opus at any sample rate. The channels are kept apart, since a stereo call
carries one party per channel; every later stage (VAD, ASR, metrics) works on these arrays, so
a file is decoded exactly once.

A file below 16 kHz (a telephone line at 8 kHz) is decoded at its own rate and upsampled by
soxr (its very-high-quality filter): FFmpeg's default resampler leaves a mirror image of the
speech band above 4 kHz about 60 dB under it, inside the 80 dB range of Whisper's log-mel front
end, and the recogniser loses characters to it (soxr's image is some 110 dB down). Measured
with bench.asr_compare on the tuning clips as 8 kHz mu-law: CER 0.180 -> 0.169 (98 -> 92
character errors, 7 clips changed, 6 for the better), digit strings 13/16 -> 14/16. Files at
16 kHz and above are resampled by FFmpeg as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soxr

from auditor.core.errors import AuditorError

SAMPLE_RATE = 16000
# Extensions the batch looks for; decoding itself goes by content, not by name.
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".opus", ".oga",
                    ".wma", ".amr", ".webm")


class AudioError(AuditorError):
    """A recording that cannot be used, with one sentence a person can act on."""


@dataclass
class Audio:
    """A decoded recording: `samples` has shape (channels, n) at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    codec: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate


def _check_path(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path} does not exist; check the path.")
    if path.is_dir():
        raise AudioError(f"{path} is a folder; give one recording (`auditor run` takes folders).")
    if path.stat().st_size == 0:
        raise AudioError(f"{path} is empty (0 bytes); the recording was not written completely.")


def decode(path: str | Path, sample_rate: int = SAMPLE_RATE) -> Audio:
    """Decode `path` to float32 samples of shape (channels, n) at `sample_rate`.

    Raises AudioError for a missing, empty, non-audio, truncated or zero-length file, and for
    recordings with more than two channels (a call has two parties).
    """
    path = Path(path)
    _check_path(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise AudioError(
            f"{path} is not a readable audio file ({_reason(exc)}); "
            "expected WAV, FLAC, MP3, M4A, OGG or Opus."
        ) from None
    with container:
        if not container.streams.audio:
            raise AudioError(f"{path} has no audio stream; it is not a call recording.")
        stream = container.streams.audio[0]
        n_channels = stream.codec_context.channels or 0
        if n_channels > 2:
            raise AudioError(
                f"{path} has {n_channels} audio channels; a call recording must be mono "
                "or stereo (one party per channel)."
            )
        layout = "stereo" if n_channels == 2 else "mono"
        declared_rate = stream.codec_context.sample_rate or 0
        # Upsampling (a telephone line) is left to soxr: PyAV keeps the file's rate then.
        resampler = av.AudioResampler(format="fltp", layout=layout,
                                      rate=None if 0 < declared_rate < sample_rate
                                      else sample_rate)
        pieces: list[np.ndarray] = []
        declared = _declared_duration(container, stream)
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray())
            for out in resampler.resample(None):
                pieces.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            if not pieces:
                raise AudioError(
                    f"{path} could not be decoded ({_reason(exc)}); the file is damaged or "
                    "not audio."
                ) from None
            raise AudioError(
                f"{path} is damaged part-way through ({_reason(exc)}); re-export the recording."
            ) from None
        codec = stream.codec_context.name
        source_rate = declared_rate or sample_rate
        decoded_rate = resampler.rate or sample_rate
    if not pieces:
        raise AudioError(f"{path} contains no audio samples (zero length).")
    samples = resample(np.concatenate(pieces, axis=1), decoded_rate, sample_rate)
    if samples.shape[1] == 0:
        raise AudioError(f"{path} contains no audio samples (zero length).")
    got = samples.shape[1] / sample_rate
    declared = _wav_declared_duration(path, source_rate, samples.shape[0]) or declared
    if declared is not None and declared - got > max(0.5, 0.05 * declared):
        raise AudioError(
            f"{path} is truncated: its header promises {declared:.1f} s of audio but only "
            f"{got:.1f} s is there; copy the complete recording again."
        )
    return Audio(samples=samples, sample_rate=sample_rate, source_rate=source_rate, codec=codec)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """(channels, n) float32 `samples` at `rate` as C-contiguous float32 at `target` (soxr,
    very high quality; unchanged when the rates are equal)."""
    samples = np.asarray(samples, dtype=np.float32)
    if rate == target or samples.shape[1] == 0:
        return np.ascontiguousarray(samples)
    out = soxr.resample(samples.T, rate, target, quality="VHQ")
    return np.ascontiguousarray(np.atleast_2d(out.T), dtype=np.float32)


def _declared_duration(container: av.container.InputContainer, stream: av.audio.AudioStream
                       ) -> float | None:
    """The duration the file's header claims, used to notice a truncated copy."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.format.name in ("wav", "w64", "flac"):
        return container.duration / 1_000_000
    return None


def _wav_declared_duration(path: Path, rate: int, channels: int) -> float | None:
    """For a RIFF/WAVE file, the duration its data-chunk header declares.

    FFmpeg quietly shortens a WAV whose data chunk is cut off, so a copy that stopped half-way
    would pass as a short call; the header still says how long it should be.
    """
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block_align = None
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            size = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"fmt ":
                fmt = fh.read(size + (size & 1))
                if len(fmt) >= 14:
                    block_align = int.from_bytes(fmt[12:14], "little")
                continue
            if chunk[:4] == b"data":
                if not block_align or size in (0, 0xFFFFFFFF):
                    return None  # streaming writers leave the size open
                return size / block_align / rate
            fh.seek(size + (size & 1), 1)


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".") or exc.__class__.__name__
