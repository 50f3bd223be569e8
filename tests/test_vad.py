"""Speech stretches: detection on silence, merging, splitting, decoding windows."""

import numpy as np

from auditor.vad import (
    VadSettings,
    decoding_windows,
    merge_regions,
    quietest_point,
    speech_regions,
    split_long,
)


def test_silence_and_low_noise_have_no_speech():
    rate = 16000
    assert speech_regions(np.zeros(rate * 3, dtype=np.float32), rate, VadSettings()) == []
    noise = (np.random.default_rng(0).normal(0, 1e-3, rate * 3)).astype(np.float32)
    assert speech_regions(noise, rate, VadSettings()) == []


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
