"""Turn-taking: talk time, silences between first and last utterance, overlaps (stereo)."""

import numpy as np
import pytest

from auditor.voice import turns


def utt(speaker: str, start: float, end: float, text: str = "你好", channel: int = 0) -> dict:
    return {"speaker": speaker, "start": start, "end": end, "text": text, "channel": channel}


def test_merge_and_talk_time_count_overlapping_utterances_once() -> None:
    assert turns.merge_intervals([(0, 2), (1, 3), (5, 6)]) == [(0, 3), (5, 6)]
    assert turns.merge_intervals([(0, 1), (1.2, 2)], join_gap=0.3) == [(0, 2)]
    utts = [utt("agent", 0, 2), utt("agent", 1, 3), utt("customer", 4, 5)]
    assert turns.talk_time(utts, "agent") == pytest.approx(3.0)
    assert turns.talk_time(utts, "customer") == pytest.approx(1.0)


def test_silences_only_between_first_and_last_utterance() -> None:
    # 20 s of ring before, 3 s and 12 s gaps inside, 30 s of hang-up after (not in utterances)
    utts = [utt("agent", 20, 25), utt("customer", 28, 30), utt("agent", 42, 45)]
    assert turns.gaps(utts) == [(25, 28), (30, 42)]
    m = turns.turn_metrics(utts, "mono")
    assert m["longest_silence_s"] == pytest.approx(12.0)
    assert m["silence_share"] == pytest.approx(15.0 / 25.0)
    assert [s["s"] for s in m["silences"]] == [3.0, 12.0]


def test_talk_ratio_and_mono_has_no_overlap_figures() -> None:
    utts = [utt("agent", 0, 6), utt("customer", 5, 8)]  # overlapping times on one channel
    m = turns.turn_metrics(utts, "mono")
    assert m["talk_ratio"] == pytest.approx(2.0)
    assert m["overlap_count"] is None and m["overlap_s"] is None and m["overlaps"] is None


def test_overlap_started_by_agent_and_by_customer() -> None:
    utts = [
        utt("customer", 0, 5, channel=1),
        utt("agent", 3, 8, channel=0),  # agent cuts in: 2 s
        utt("customer", 7.5, 10, channel=1),  # customer starts 0.5 s before the agent stops
        utt("agent", 12, 14),
        utt("customer", 13.9, 15, channel=1),  # 0.1 s: turn-taking
    ]
    m = turns.turn_metrics(utts, "stereo")
    assert m["overlap_count"] == 2
    assert m["overlap_s"] == pytest.approx(2.5)
    first, second = m["overlaps"]
    assert first["started_by"] == "agent" and first["s"] == pytest.approx(2.0)
    assert first["agent_utterance"] == 1 and first["customer_utterance"] == 0
    assert second["started_by"] == "customer"


def test_activity_refines_overlap_to_both_channels_speaking() -> None:
    hop = 0.01
    agent = np.zeros(1000, dtype=bool)
    customer = np.zeros(1000, dtype=bool)
    customer[0:300] = True  # the customer really stops at 3 s ...
    agent[280:800] = True
    utts = [utt("customer", 0, 5, channel=1), utt("agent", 2.8, 8)]  # ... ASR says 5 s
    raw = turns.overlap_events(utts)
    refined = turns.overlap_events(utts, {"agent": agent, "customer": customer}, hop)
    assert raw[0]["s"] == pytest.approx(2.2)
    assert refined[0]["s"] == pytest.approx(0.2)


def test_activity_splits_a_gap_that_holds_missed_speech() -> None:
    hop = 0.01
    mask = np.zeros(3000, dtype=bool)
    mask[1000:1200] = True  # 2 s of speech the ASR missed, inside a 20 s gap
    utts = [utt("agent", 0, 5), utt("customer", 25, 28)]
    events, silent, longest = turns.silence_events(utts, [mask], hop)
    assert longest == pytest.approx(13.0)  # 12 s to 25 s
    assert silent == pytest.approx(18.0)
    assert turns.silence_events(utts)[2] == pytest.approx(20.0)  # without audio: the whole gap


def test_activity_mask_closes_syllable_gaps_and_drops_clicks() -> None:
    db = np.full(200, -80.0)
    db[10:50] = -20.0
    db[60:100] = -20.0  # a 0.1 s gap between syllables: closed
    db[150:153] = -20.0  # a 30 ms click: dropped
    mask = turns.activity_mask(db, ref_db=-20.0, hop_s=0.01)
    assert mask[10:100].all()
    assert not mask[150:153].any()
    assert not turns.activity_mask(db, ref_db=None, hop_s=0.01).any()


def test_empty_and_single_utterance_calls() -> None:
    m = turns.turn_metrics([], "stereo")
    assert m["longest_silence_s"] is None and m["silence_share"] is None
    assert m["talk_ratio"] is None and m["overlap_count"] == 0
    one = turns.turn_metrics([utt("unknown", 1, 4)], "mono")
    assert one["longest_silence_s"] == 0.0 and one["talk_s"]["unknown"] == pytest.approx(3.0)
