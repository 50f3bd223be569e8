"""Speech stretches: detection on silence, merging, splitting, decoding windows."""

import numpy as np

from auditor.asr.settings import load_asr_settings
from auditor.audio.vad import (
    decoding_windows,
    merge_regions,
    quietest_point,
    speech_regions,
    split_long,
)


def test_silence_and_low_noise_have_no_speech():
    rate = 16000
    vad = load_asr_settings().vad
    assert speech_regions(np.zeros(rate * 3, dtype=np.float32), rate, vad) == []
    noise = (np.random.default_rng(0).normal(0, 1e-3, rate * 3)).astype(np.float32)
    assert speech_regions(noise, rate, vad) == []


def test_merge_short_pauses_but_not_long_ones():
    regions = [(0.0, 1.0), (1.5, 2.0), (4.0, 5.0)]
    assert merge_regions(regions, max_gap_s=0.8, max_len_s=20) == [(0.0, 2.0), (4.0, 5.0)]
    assert merge_regions(regions, max_gap_s=0.8, max_len_s=1.5) == regions


def test_split_long_cuts_at_the_quietest_point():
    rate = 16000
    x = np.ones(rate * 30, dtype=np.float32) * 0.3
    x[int(17.0 * rate):int(17.3 * rate)] = 0.0  # a pause at 17 s
    assert abs(quietest_point(x, rate, 0.0, 30.0) - 17.1) < 0.2
    parts = split_long([(0.0, 30.0)], x, rate, max_len_s=20.0)
    assert len(parts) == 2
    assert all(b - a <= 20.0 for a, b in parts)
    assert parts[0][0] == 0.0 and parts[-1][1] == 30.0


def test_decoding_windows_never_reach_past_halfway_to_a_neighbour():
    regions = [(1.0, 2.0), (2.2, 3.0), (6.0, 7.0)]
    windows = decoding_windows(regions, duration_s=7.5, context_s=0.3)
    assert windows[0] == (0.7, 2.1)
    assert abs(windows[1][0] - 2.1) < 1e-9 and abs(windows[1][1] - 3.3) < 1e-9
    assert windows[2] == (5.7, 7.3)


def test_echo_of_the_other_party_is_muted_but_double_talk_stays():
    from auditor.audio.vad import suppress_crosstalk

    rate = 16000
    t = np.arange(rate * 10) / rate
    agent = np.zeros_like(t)
    customer = np.zeros_like(t)
    agent[: 4 * rate] = 0.3 * np.sin(2 * np.pi * 200 * t[: 4 * rate])
    customer[5 * rate: 7 * rate] = 0.2 * np.sin(2 * np.pi * 150 * t[: 2 * rate])
    customer[2 * rate: int(2.5 * rate)] += 0.2 * np.sin(2 * np.pi * 150 * t[: rate // 2])
    customer += 0.01 * agent  # the agent's echo, 30 dB down
    samples = np.stack([agent, customer]).astype(np.float32)
    cleaned = suppress_crosstalk(samples, rate, below_db=20.0)
    assert np.array_equal(cleaned[0], samples[0])  # the agent's own channel is untouched
    echo_only = slice(int(0.5 * rate), int(1.5 * rate))
    assert np.abs(cleaned[1][echo_only]).max() == 0.0
    double_talk = slice(int(2.1 * rate), int(2.4 * rate))
    assert np.abs(cleaned[1][double_talk]).max() > 0.15  # the customer's own words stay
    assert np.allclose(cleaned[1][5 * rate: 7 * rate], samples[1][5 * rate: 7 * rate])
    mono = samples[:1]
    assert suppress_crosstalk(mono, rate, 20.0) is mono  # nothing to compare a mono call with
    assert np.array_equal(suppress_crosstalk(samples, rate, 0.0), samples)
