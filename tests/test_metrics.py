"""measure(): the metrics block and per-utterance values on synthetic two-party calls."""

import copy
import json

import numpy as np
import pytest

from auditor.voice.metrics import measure, padded_spans

SR = 16000


def tone(f0: float, seconds: float, level: float) -> np.ndarray:
    """A harmonic tone at a known F0 and RMS level (dBFS = 20·log10(level))."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 4))
    return level * x / np.sqrt(np.mean(x**2))


def place(track: np.ndarray, start: float, x: np.ndarray) -> None:
    i = int(start * SR)
    track[i : i + x.size] += x


def stereo_call() -> tuple[np.ndarray, list[dict]]:
    """Agent on channel 0 at 220 Hz / -20 dBFS, customer on channel 1 at 120 Hz / -26 dBFS."""
    audio = np.zeros((2, 20 * SR), dtype=np.float32)
    utts = []
    for start, end, speaker, ch, f0, level in [
        (1, 4, "agent", 0, 220, 0.1),
        (5, 7, "customer", 1, 120, 0.05),
        (8, 12, "agent", 0, 220, 0.1),
        (13, 15, "customer", 1, 120, 0.05),
    ]:
        place(audio[ch], start, tone(f0, end - start, level))
        utts.append(
            {
                "speaker": speaker,
                "start": start,
                "end": end,
                "channel": ch,
                "text": "我" * (5 * (end - start)),
            }
        )  # 5 characters a second
    return audio, utts


def test_stereo_metrics_per_speaker() -> None:
    audio, utts = stereo_call()
    m = measure(audio, SR, utts, "stereo").metrics
    agent, customer = m["agent"], m["customer"]
    assert agent["speech_rate_cpm"] == pytest.approx(300, rel=0.05)
    assert agent["pitch_median_hz"] == pytest.approx(220, rel=0.02)
    assert customer["pitch_median_hz"] == pytest.approx(120, rel=0.02)
    assert agent["loudness_dbfs"] == pytest.approx(-20.0, abs=0.3)
    assert customer["loudness_dbfs"] == pytest.approx(-26.0, abs=0.3)
    assert agent["talk_s"] == pytest.approx(7.0) and customer["talk_s"] == pytest.approx(4.0)
    assert m["talk_ratio"] == pytest.approx(7 / 4, rel=0.01)
    assert m["longest_silence_s"] == pytest.approx(1.0, abs=0.05)
    assert m["overlap_count"] == 0 and m["overlap_s"] == 0
    assert "unknown" not in m


def test_each_utterance_gets_its_measures_and_the_dicts_stay_as_given() -> None:
    audio, utts = stereo_call()
    before = copy.deepcopy(utts)
    _, measures = measure(audio, SR, utts, "stereo")
    assert utts == before and len(measures) == len(utts)
    first = measures[0].to_dict()
    assert first["rate_cpm"] == pytest.approx(300, rel=0.05)
    assert first["loudness_dbfs"] == pytest.approx(-20.0, abs=0.3)
    assert first["pitch_hz"] == pytest.approx(220, rel=0.02)
    assert first["speaking_s"] == pytest.approx(3.0, abs=0.05)


def test_mono_takes_each_speaker_from_their_time_spans() -> None:
    audio, utts = stereo_call()
    mono = audio.sum(axis=0, keepdims=True)
    for u in utts:
        u["channel"] = 0
    m = measure(mono, SR, utts, "mono").metrics
    assert m["agent"]["pitch_median_hz"] == pytest.approx(220, rel=0.02)
    assert m["customer"]["pitch_median_hz"] == pytest.approx(120, rel=0.02)
    assert m["customer"]["loudness_dbfs"] == pytest.approx(-26.0, abs=0.3)
    assert m["overlap_count"] is None


def test_unknown_speaker_gets_its_own_block() -> None:
    audio, utts = stereo_call()
    for u in utts:
        u["speaker"], u["channel"] = "unknown", 0
    m = measure(audio[:1], SR, utts, "mono").metrics
    assert m["unknown"]["talk_s"] == pytest.approx(11.0)
    # the customer's spans are silent on channel 0: loudness and pitch come from the agent's
    assert m["unknown"]["loudness_dbfs"] == pytest.approx(-20.0, abs=0.3)
    assert m["unknown"]["pitch_median_hz"] == pytest.approx(220, rel=0.02)
    assert m["agent"]["speech_rate_cpm"] is None and m["agent"]["talk_s"] == 0.0


def test_silent_audio_and_no_utterances_give_none_not_errors() -> None:
    silent = np.zeros((2, 5 * SR), dtype=np.float32)
    utts = [{"speaker": "agent", "start": 1.0, "end": 3.0, "text": "喂？", "channel": 0}]
    m, (first,) = measure(silent, SR, utts, "stereo")
    assert m["agent"]["loudness_dbfs"] is None and m["agent"]["pitch_median_hz"] is None
    assert first.loudness_dbfs is None and first.pitch_hz is None
    assert first.rate_cpm == pytest.approx(30.0)  # 1 character over the 2 s span
    empty = measure(silent, SR, [], "stereo").metrics
    assert empty["agent"]["speech_rate_cpm"] is None and empty["customer"]["talk_s"] == 0.0
    assert empty["longest_silence_s"] is None and empty["talk_ratio"] is None


def test_utterance_beyond_the_audio_does_not_crash() -> None:
    audio, utts = stereo_call()
    utts.append({"speaker": "agent", "start": 30.0, "end": 31.0, "text": "好", "channel": 0})
    m, measures = measure(audio, SR, utts, "stereo")
    assert m["agent"]["pitch_median_hz"] == pytest.approx(220, rel=0.02)
    assert measures[-1].loudness_dbfs is None and measures[-1].pitch_hz is None


def test_metrics_and_annotations_are_plain_json() -> None:
    audio, utts = stereo_call()
    m, measures = measure(audio, SR, utts, "stereo")
    again = json.loads(json.dumps({"metrics": m, "utterances": [x.to_dict() for x in measures]}))
    assert again["metrics"]["agent"]["talk_s"] == m["agent"]["talk_s"]
    assert set(again["metrics"]) >= {"agent", "customer", "longest_silence_s", "overlap_count",
                                     "overlap_s", "silence_share", "talk_ratio"}


def test_spans_widen_into_silence_but_not_past_the_midpoint() -> None:
    utts = [{"start": 1.0, "end": 2.0, "channel": 0}, {"start": 2.1, "end": 3.0, "channel": 0},
            {"start": 0.0, "end": 5.0, "channel": 1}]
    (a0, a1), (b0, b1), (c0, c1) = padded_spans(utts, 2)
    assert (a0, a1) == pytest.approx((0.8, 2.05))
    assert (b0, b1) == pytest.approx((2.05, 3.2))
    assert (c0, c1) == pytest.approx((0.0, 5.2))  # not before the start of the recording


def test_onset_clipped_by_the_asr_is_still_measured() -> None:
    audio = np.zeros((1, 4 * SR), dtype=np.float32)
    place(audio[0], 1.0, tone(200, 2.0, 0.1))
    utts = [{"speaker": "agent", "start": 1.15, "end": 3.0, "text": "好" * 10, "channel": 0}]
    (first,) = measure(audio, SR, utts, "mono").utterances
    assert first.speaking_s == pytest.approx(2.0, abs=0.05)  # the tone, not the ASR span
    assert first.loudness_dbfs == pytest.approx(-20.0, abs=0.3)
