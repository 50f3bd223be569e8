"""Decoding: every container and codec a call system writes, any rate, and bad input."""

from __future__ import annotations

import av
import numpy as np
import pytest
import soundfile as sf

from auditor.audio.decode import SAMPLE_RATE, AudioError, decode
from auditor.core.hashing import file_sha256

from .conftest import tone


def _write_av(path, samples: np.ndarray, rate: int, codec: str, layout: str = "mono") -> None:
    """Encode with PyAV (the same FFmpeg the decoder uses)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        frame_fmt = "fltp" if codec not in ("libmp3lame",) else "fltp"
        data = samples if samples.ndim == 2 else samples[None, :]
        frame = av.AudioFrame.from_ndarray(data.astype(np.float32), format=frame_fmt,
                                           layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.mark.parametrize(
    "name,subtype,rate",
    [("pcm.wav", "PCM_16", 8000), ("ulaw.wav", "ULAW", 8000), ("alaw.wav", "ALAW", 8000),
     ("pcm48.wav", "PCM_16", 48000), ("call.flac", "PCM_16", 16000)],
)
def test_decodes_wav_and_flac_to_16k(tmp_path, name, subtype, rate):
    path = tmp_path / name
    sf.write(path, tone(2.0, rate), rate, subtype=subtype)
    audio = decode(path)
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.source_rate == rate
    assert audio.channels == 1
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration_s - 2.0) < 0.02
    assert 0.25 < np.abs(audio.samples).max() < 0.35


@pytest.mark.parametrize("name,codec", [("c.mp3", "libmp3lame"), ("c.m4a", "aac"),
                                        ("c.ogg", "libopus"), ("c.opus", "libopus")])
def test_decodes_compressed_formats(tmp_path, name, codec):
    rate = 48000 if codec == "libopus" else 16000
    path = tmp_path / name
    _write_av(path, tone(2.0, rate), rate, codec)
    audio = decode(path)
    assert audio.channels == 1
    assert abs(audio.duration_s - 2.0) < 0.15
    assert np.abs(audio.samples).max() > 0.2


def test_stereo_channels_stay_apart(tmp_path):
    rate = 8000
    left = tone(1.0, rate, 300, 0.5)
    right = np.zeros_like(left)
    sf.write(tmp_path / "s.wav", np.stack([left, right], axis=1), rate, subtype="PCM_16")
    audio = decode(tmp_path / "s.wav")
    assert audio.channels == 2
    assert np.abs(audio.samples[0]).max() > 0.4
    assert np.abs(audio.samples[1]).max() < 1e-3


def test_more_than_two_channels_is_refused(tmp_path):
    sf.write(tmp_path / "q.wav", np.zeros((8000, 4), dtype=np.float32), 8000)
    with pytest.raises(AudioError, match="4 audio channels"):
        decode(tmp_path / "q.wav")


def test_missing_empty_folder_and_junk(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        decode(tmp_path / "nope.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        decode(tmp_path / "empty.wav")
    with pytest.raises(AudioError, match="folder"):
        decode(tmp_path)
    (tmp_path / "junk.mp3").write_bytes(b"this is a text file, not audio\n" * 50)
    with pytest.raises(AudioError, match="not a readable audio file|could not be decoded"):
        decode(tmp_path / "junk.mp3")


def test_zero_length_audio(tmp_path):
    sf.write(tmp_path / "zero.wav", np.zeros(0, dtype=np.float32), 8000)
    with pytest.raises(AudioError, match="no audio samples"):
        decode(tmp_path / "zero.wav")


def test_truncated_wav_is_reported(tmp_path):
    sf.write(tmp_path / "full.wav", tone(4.0, 8000), 8000, subtype="PCM_16")
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match="truncated"):
        decode(tmp_path / "cut.wav")


def test_content_hash_ignores_the_name(tmp_path):
    sf.write(tmp_path / "a.wav", tone(0.5, 8000), 8000)
    (tmp_path / "b.wav").write_bytes((tmp_path / "a.wav").read_bytes())
    assert file_sha256(tmp_path / "a.wav") == file_sha256(tmp_path / "b.wav")
    assert len(file_sha256(tmp_path / "a.wav")) == 64
