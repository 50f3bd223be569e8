"""Delivery measured on evidence: speaking time without line noise or the other party's echo,
and overlaps only where each channel carries its own speaker."""

import numpy as np
import pytest

from auditor.voice import loudness, turns
from auditor.voice.delivery import delivery_flags, load_thresholds
from auditor.voice.metrics import measure
from auditor.voice.speech_rate import speaking_seconds

SR = 16000
CFG = load_thresholds()


def babble(seconds: float, level: float, seed: int) -> np.ndarray:
    """Speech-like noise: white noise under a 4 Hz syllable envelope, at an RMS `level`."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = rng.standard_normal(t.size) * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t))
    return (level * x / np.sqrt(np.mean(x**2))).astype(np.float32)


def place(track: np.ndarray, start: float, x: np.ndarray) -> None:
    i = int(start * SR)
    track[i : i + x.size] += x


def utt(speaker: str, start: float, end: float, channel: int, text: str = "我们核实一下") -> dict:
    return {"speaker": speaker, "start": start, "end": end, "channel": channel, "text": text}


def test_line_noise_at_the_edges_is_not_speaking_time() -> None:
    # 2 s of speech at -20 dBFS on a line whose hiss is 18 dB down (within the 25 dB range of the
    # speech mask): the widened span's edges are noise, not speech
    rng = np.random.default_rng(1)
    audio = (0.0126 * rng.standard_normal(8 * SR)).astype(np.float32)[None, :]
    place(audio[0], 3.0, babble(2.0, 0.1, 2))
    _, measures = measure(audio, SR, [utt("agent", 3.0, 5.0, 0)], "mono")
    assert measures[0].speaking_s == pytest.approx(2.0, abs=0.08)


def test_background_level_is_the_quiet_tenth_of_the_channel() -> None:
    power = np.concatenate([np.full(900, 1e-6), np.full(100, 1e-2)])
    assert loudness.background_db(power) == pytest.approx(-60.0)
    mask = loudness.timing_mask(np.array([1e-6, 2e-6, 1e-2]), -60.0)
    assert mask.tolist() == [False, False, True]


def test_the_other_partys_turn_inside_an_utterance_is_not_speaking_time() -> None:
    active = np.ones(300, dtype=bool)  # 3 s span, the channel busy throughout
    elsewhere = np.zeros(300, dtype=bool)
    elsewhere[100:160] = True  # 0.6 s of the other party's echo (shorter than a long pause)
    assert speaking_seconds(active, 0.01, 3.0) == pytest.approx(3.0)
    assert speaking_seconds(active, 0.01, 3.0, elsewhere=elsewhere) == pytest.approx(2.4)


def echo_call(echo_db: float) -> tuple[np.ndarray, list[dict]]:
    """Stereo: the agent (ch 0) speaks 1-9 s, the customer (ch 1) 10-13 s; each channel carries
    the other party `echo_db` down. The recogniser also 'heard' the agent's echo on channel 1."""
    audio = np.zeros((2, 15 * SR), dtype=np.float32)
    agent, customer = babble(8.0, 0.1, 3), babble(3.0, 0.1, 4)
    gain = 10 ** (-echo_db / 20)
    place(audio[0], 1.0, agent)
    place(audio[1], 1.03, gain * agent)
    place(audio[1], 10.0, customer)
    place(audio[0], 10.03, gain * customer)
    utts = [utt("customer", 0.9, 9.1, 1), utt("agent", 2.0, 9.0, 0, "你先听我说完这件事情"),
            utt("customer", 10.0, 13.0, 1)]
    return audio, utts


def test_echo_heard_as_the_customer_is_no_overlap() -> None:
    for echo_db in (14.0, 25.0):
        audio, utts = echo_call(echo_db)
        metrics, measures = measure(audio, SR, utts, "stereo")
        assert metrics["overlaps"] == [], echo_db
        flags = delivery_flags(metrics, utts, "stereo", CFG, measures)
        assert "interruption" not in [f["category"] for f in flags]


def test_two_voices_at_once_are_an_overlap() -> None:
    audio = np.zeros((2, 12 * SR), dtype=np.float32)
    place(audio[1], 1.0, babble(6.0, 0.08, 5))  # customer 1-7 s
    place(audio[0], 4.0, babble(5.0, 0.1, 6))  # agent cuts in at 4 s, 3 s over the customer
    utts = [utt("customer", 1.0, 7.0, 1, "我上个月已经还过一部分了"),
            utt("agent", 4.0, 9.0, 0, "你别说了先听我讲")]
    metrics, measures = measure(audio, SR, utts, "stereo")
    assert metrics["overlap_count"] == 1 and metrics["overlaps"][0]["s"] == pytest.approx(3.0,
                                                                                       abs=0.3)
    flags = delivery_flags(metrics, utts, "stereo", CFG, measures)
    assert [f["category"] for f in flags if f["category"] == "interruption"] == ["interruption"]


def test_one_signal_on_both_channels_tells_no_overlap() -> None:
    x = babble(10.0, 0.1, 7)
    audio = np.stack([x, x])
    utts = [utt("customer", 0.5, 6.0, 1), utt("agent", 2.0, 9.0, 0, "你先听我说完这件事情")]
    assert turns.same_signal(audio[0], audio[1])
    metrics, measures = measure(audio, SR, utts, "stereo")
    assert metrics["overlaps"] is None and metrics["overlap_count"] is None
    assert delivery_flags(metrics, utts, "stereo", CFG, measures) == []


def test_without_audio_the_channels_utterance_times_are_the_evidence() -> None:
    utts = [utt("customer", 0, 5, 1, "我上个月已经还过一部分了"),
            utt("agent", 3, 8, 0, "你别说了先听我讲")]
    assert [f["category"] for f in delivery_flags({}, utts, "stereo", CFG)] == ["interruption"]
    assert delivery_flags({"overlaps": None}, utts, "stereo", CFG) == []
