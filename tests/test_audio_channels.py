"""Stereo files whose two channels carry one signal are heard as mono (audio/channels.py)."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.asr.settings import load_asr_settings
from auditor.audio.channels import as_mono_if_one_signal, best_lag, compare_channels
from auditor.audio.decode import Audio

RATE = 16000
SETTINGS = load_asr_settings()
CORR, SHARE = SETTINGS.one_signal_correlation, SETTINGS.one_signal_share


def _speech(seconds: float, seed: int, active: list[tuple[float, float]]) -> np.ndarray:
    """Speech-like noise: syllable-rate bursts of filtered noise inside the `active` spans."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    noise = np.convolve(rng.standard_normal(n), np.hanning(9), mode="same")
    t = np.arange(n) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)), 0, None)
    on = np.zeros(n)
    for start, end in active:
        on[int(start * RATE):int(end * RATE)] = 1.0
    return (0.1 * noise * envelope * on).astype(np.float32)


def _delayed(x: np.ndarray, ms: float, gain: float) -> np.ndarray:
    k = int(ms * RATE / 1000)
    out = np.zeros_like(x)
    out[k:] = gain * x[: x.size - k]
    return out


def _check(ch0: np.ndarray, ch1: np.ndarray):
    return compare_channels(np.stack([ch0, ch1]), RATE, CORR, SHARE)


def _two_parties(echo_db: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Agent and customer taking turns, each on their own channel, each channel carrying the
    other party's echo `echo_db` below it, delayed 30 ms."""
    agent = _speech(12, seed, [(0, 3), (6, 9)])
    customer = _speech(12, seed + 1, [(3, 6), (9, 12)])
    gain = 10 ** (echo_db / 20)
    return agent + _delayed(customer, 30, gain), customer + _delayed(agent, 30, gain)


ONE = _speech(12, 7, [(0.5, 11.5)])


@pytest.mark.parametrize("name,copy", [
    ("identical", ONE.copy()),
    ("scaled", 0.3 * ONE),
    ("inverted", -0.8 * ONE),
    ("shifted 2 ms", _delayed(ONE, 2, 1.0)),
    ("with its own noise at -30 dB",
     ONE + 0.1 * 10 ** (-30 / 20) * np.random.default_rng(3).standard_normal(ONE.size)
     .astype(np.float32)),
])
def test_copies_of_one_signal_are_one_signal(name, copy):
    check = _check(ONE, copy.astype(np.float32))
    assert check is not None and check.one_signal, (name, check)
    assert check.correlation >= CORR


def test_the_shift_and_level_of_a_copy_are_measured():
    check = _check(ONE, _delayed(ONE, 2, 0.5))
    assert check.lag_ms == pytest.approx(2.0, abs=0.07)
    assert check.gain_db == pytest.approx(20 * np.log10(0.5), abs=0.2)


@pytest.mark.parametrize("echo_db", [-40.0, -20.0, -10.0, -6.0])
def test_two_parties_with_echo_are_not_one_signal(echo_db):
    check = _check(*_two_parties(echo_db))
    assert check is not None and not check.one_signal, check
    assert check.correlation < CORR


def test_one_party_copied_to_both_channels_while_the_other_has_its_own_is_stereo():
    # The agent is on both channels (a bad bridge), the customer only on channel 1: half the
    # blocks agree, half do not, so the call keeps its two channels.
    agent = _speech(12, 4, [(0, 6)])
    customer = _speech(12, 5, [(6, 12)])
    check = _check(agent, agent + customer)
    assert not check.one_signal
    assert 0.3 <= check.agreeing <= 0.7


def test_a_silent_channel_is_not_a_copy():
    check = _check(ONE, np.zeros_like(ONE))
    assert not check.one_signal and check.blocks == 0


def test_mono_has_nothing_to_compare():
    assert compare_channels(ONE[None, :], RATE, CORR, SHARE) is None


def test_best_lag_finds_the_shift_either_way():
    x = _speech(2, 9, [(0, 2)]).astype(np.float64)
    assert best_lag(x, _delayed(x, 1, 1.0), 80) == 16  # b[t + 16] = a[t]: b lags a by 1 ms
    assert best_lag(_delayed(x, 1, 1.0), x, 80) == -16


def _audio(samples: np.ndarray) -> Audio:
    return Audio(samples=samples.astype(np.float32), sample_rate=RATE, source_rate=8000,
                 codec="pcm_mulaw")


def test_one_signal_stereo_becomes_the_louder_channel():
    audio = _audio(np.stack([0.4 * ONE, ONE]))
    mono, check = as_mono_if_one_signal(audio, CORR, SHARE)
    assert mono.channels == 1 and check.one_signal
    assert np.array_equal(mono.samples[0], audio.samples[1])
    assert mono.source_rate == 8000 and mono.codec == "pcm_mulaw"


def test_two_party_stereo_is_left_as_it_is():
    audio = _audio(np.stack(_two_parties(-20.0)))
    same, check = as_mono_if_one_signal(audio, CORR, SHARE)
    assert same is audio and not check.one_signal


def test_the_settings_are_read_from_asr_toml():
    assert 0.5 < CORR <= 1.0 and 0.5 < SHARE <= 1.0
