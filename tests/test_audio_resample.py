"""The decoder's change of rate (soxr): no mirror image of a telephone band above 4 kHz."""

import numpy as np
from scipy import signal

from auditor.audio.decode import decode, resample


def high_band_db(x: np.ndarray, rate: int = 16000) -> float:
    """Mean power density above 4.4 kHz against that of 300-3400 Hz, in dB."""
    freqs, power = signal.welch(x.astype(np.float64), fs=rate, nperseg=512)
    high = power[(freqs > 4400) & (freqs < 7500)].mean()
    return float(10 * np.log10(high / power[(freqs > 300) & (freqs < 3400)].mean()))


def _line(seconds: float = 2.0) -> np.ndarray:
    """White noise band-limited as an 8 kHz telephone line carries it (up to 3.6 kHz)."""
    x = np.random.default_rng(0).standard_normal(int(seconds * 8000))
    sos = signal.butter(10, 3600, "lowpass", fs=8000, output="sos")
    return (0.1 * signal.sosfilt(sos, x)).astype(np.float32)


def test_upsampled_line_leaves_the_band_above_4k_empty():
    up = resample(_line()[None, :], 8000, 16000)
    assert up.shape == (1, 32000) and up.dtype == np.float32 and up.flags["C_CONTIGUOUS"]
    assert high_band_db(up[0]) < -90  # FFmpeg's default left about -60 dB


def test_stereo_channels_stay_apart_and_equal_rates_are_untouched():
    line = _line()
    stereo = np.stack([line, np.zeros_like(line)])
    up = resample(stereo, 8000, 16000)
    assert up.shape == (2, 32000)
    assert np.abs(up[1]).max() == 0.0 and np.abs(up[0]).max() > 0.01
    assert np.array_equal(resample(stereo, 8000, 8000), stereo)
    assert resample(np.zeros((1, 0), dtype=np.float32), 8000, 16000).shape == (1, 0)


def test_downsampling_keeps_the_level_of_the_speech_band():
    t = np.arange(48000) / 48000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[None, :]
    down = resample(tone, 48000, 16000)
    assert down.shape == (1, 16000)
    assert abs(np.sqrt(np.mean(down[0, 1000:-1000] ** 2)) - 0.5 / np.sqrt(2)) < 0.01


def test_an_8k_file_is_decoded_through_soxr_and_a_16k_file_as_before(tmp_path):
    import soundfile as sf

    line = _line()
    sf.write(str(tmp_path / "line.wav"), line, 8000, subtype="ULAW")
    audio = decode(tmp_path / "line.wav")
    assert (audio.sample_rate, audio.source_rate, audio.codec) == (16000, 8000, "pcm_mulaw")
    assert audio.samples.shape == (1, 32000)
    assert high_band_db(audio.samples[0]) < -90
    wide = np.random.default_rng(1).uniform(-0.5, 0.5, 16000).astype(np.float32)
    sf.write(str(tmp_path / "wide.wav"), wide, 16000, subtype="FLOAT")
    assert np.array_equal(decode(tmp_path / "wide.wav").samples[0], wide)
