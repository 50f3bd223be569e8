"""Mono attribution on synthetic voices: separation, role naming, weak evidence, change splits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

from auditor.attribution import attribute, cue_score, split_at_speaker_changes

SR = 16000
HIGH = {"f0": 210.0, "tilt": 1.0, "formants": [(700, 120), (1500, 150), (2800, 200)]}
LOW = {"f0": 140.0, "tilt": 1.6, "formants": [(550, 120), (1200, 150), (2500, 200)]}
TONES = [(2.0, 2.0), (-2.0, 2.0), (0.0, -3.0), (3.0, -3.0)]  # rough Mandarin contours

DIALOGUE = [
    ("agent", 3.0, "您好，请问是张伟先生本人吗？"),
    ("customer", 1.0, "是我。"),
    ("agent", 4.0, "我是某某银行委托的贷后专员，工号1234，本次通话会被录音。"),
    ("customer", 0.5, "嗯"),
    ("agent", 3.5, "您的信用卡逾期三十天，欠款三千五百元。"),
    ("customer", 2.5, "我现在没钱，下个月发工资再还。"),
    ("agent", 3.0, "逾期会影响您的征信，您看能不能先还一部分？"),
    ("customer", 1.5, "好吧我尽量。"),
    ("agent", 2.0, "感谢您的配合，再见。"),
    ("customer", 0.6, "再见"),
]


def _voice(dur: float, f0: float, tilt: float, formants: list, rng: np.random.Generator):
    """A harmonic 'voice': syllables with tone contours, spectral tilt and three formants."""
    n, syl = int(dur * SR), int(0.24 * SR)
    f_inst, env = np.full(n, f0), np.zeros(n)
    for s0 in range(0, n, syl):
        m = min(n, s0 + syl) - s0
        a, b = TONES[rng.integers(len(TONES))]
        f_inst[s0 : s0 + m] = f0 * 2 ** ((np.linspace(a, b, m) + rng.normal(0, 0.7)) / 12)
        on = int(m * 0.8)
        env[s0 : s0 + on] = np.hanning(on) ** 0.5 * rng.uniform(0.6, 1.0)
    phase = 2 * np.pi * np.cumsum(f_inst) / SR
    y = sum(k ** (-tilt) * np.sin(k * phase) for k in range(1, int(3800 / f0)))
    for fc, bw in formants:
        r, th = np.exp(-np.pi * bw / SR), 2 * np.pi * fc / SR
        y = lfilter([1 - r], [1, -2 * r * np.cos(th), r * r], y)
    return y / (np.abs(y).max() + 1e-9) * env


def _call(turns, voices=None, seed=0):
    """Mono call from (speaker, seconds, text) turns; returns samples and truth utterances."""
    voices = voices or {"agent": HIGH, "customer": LOW}
    rng = np.random.default_rng(seed)
    parts, truth, t = [np.zeros(SR // 2)], [], 0.5
    for spk, dur, text in turns:
        parts.append(0.5 * _voice(dur, rng=rng, **voices[spk]))
        truth.append(
            {
                "speaker": spk,
                "start": round(t, 3),
                "end": round(t + dur, 3),
                "text": text,
                "channel": 0,
            }
        )
        gap = float(rng.uniform(0.3, 0.7))
        parts.append(np.zeros(int(gap * SR)))
        t += dur + gap
    y = np.concatenate(parts)
    return (y + 0.01 * rng.standard_normal(y.size)).astype(np.float32), truth


def _unknown(truth):
    return [dict(u, speaker="unknown") for u in truth]


@pytest.fixture(scope="module")
def two_voices():
    return _call(DIALOGUE)


def test_two_voices_are_separated_and_named(two_voices):
    y, truth = two_voices
    out, conf = attribute(y, SR, _unknown(truth))
    assert [u["speaker"] for u in out] == [u["speaker"] for u in truth]
    assert conf > 0.6
    assert [u["text"] for u in out] == [u["text"] for u in truth]  # nothing else changed


def test_input_is_not_mutated(two_voices):
    y, truth = two_voices
    given = _unknown(truth)
    attribute(y, SR, given)
    assert all(u["speaker"] == "unknown" for u in given)


def test_role_cues_name_the_clusters_not_the_pitch():
    # Same dialogue, but now the agent has the low voice: the greeting / 工号 side is the agent.
    y, truth = _call(DIALOGUE, voices={"agent": LOW, "customer": HIGH}, seed=1)
    out, conf = attribute(y, SR, _unknown(truth))
    assert [u["speaker"] for u in out] == [u["speaker"] for u in truth]
    assert conf > 0.5


def test_no_role_cues_means_low_confidence(two_voices):
    y, truth = two_voices
    bare = [dict(u, text="这个这个") for u in _unknown(truth)]
    _, conf = attribute(y, SR, bare)
    assert conf < 0.4


def test_single_voice_gets_low_confidence_and_no_customer():
    # One voice, one party (a voicemail-like monologue): nothing to tell apart.
    lines = ["您好，这是给张伟先生本人的留言。", "我是某某银行委托的贷后专员，工号幺二三四。",
             "有重要事情需要和您沟通。", "请您收到留言后尽快回电。", "这个这个。",
             "感谢您的配合，再见。"]
    y, truth = _call([("agent", 2.5, text) for text in lines], seed=2)
    out, conf = attribute(y, SR, _unknown(truth))
    assert conf < 0.3
    assert not any(u["speaker"] == "customer" for u in out)
    assert out[4]["speaker"] == "unknown"  # no cue and no second voice: not a guess
    assert out[1]["speaker"] == "agent"  # 银行 委托 工号: the text alone is clear


def test_very_short_call_is_low_confidence():
    y, truth = _call(DIALOGUE[:2], seed=3)
    out, conf = attribute(y, SR, _unknown(truth))
    assert len(out) == 2 and conf < 0.3
    assert attribute(y, SR, []) == ([], 0.0)


def test_cue_score_signs_and_homophones():
    assert cue_score("您好，请问是李明先生本人吗？") > 2
    assert cue_score("我是XX银行的贷后专员，功耗三七二一") > 2  # 功耗 is how ASR writes 工号
    assert cue_score("您已经于七三十天了") > 1  # 于七 = 逾期 in toneless pinyin
    assert cue_score("对") < 0 and cue_score("我现在没钱") < 0
    assert cue_score("这个这个") == 0


def test_a_stretch_with_both_voices_is_split_in_the_pause(two_voices):
    y, truth = two_voices
    # The VAD merged agent+customer in two places; every other region is one voice.
    regions = [
        (truth[0]["start"], truth[1]["end"]),
        (truth[2]["start"], truth[2]["end"]),
        (truth[3]["start"], truth[3]["end"]),
        (truth[4]["start"], truth[5]["end"]),
    ]
    regions += [(u["start"], u["end"]) for u in truth[6:]]
    out = split_at_speaker_changes(y, SR, regions)
    assert len(out) == len(regions) + 2
    for a, b in ((0, 1), (4, 5)):
        cut = next(e for s, e in out if s == truth[a]["start"])
        assert truth[a]["end"] - 0.3 <= cut <= truth[b]["start"] + 0.3
    assert out[0][0] == regions[0][0] and out[-1] == regions[-1]


def test_one_voice_is_not_split():
    turns = [("agent", d, text) for _, d, text in DIALOGUE]
    y, truth = _call(turns, seed=4)
    regions = [(truth[0]["start"], truth[1]["end"]), (truth[4]["start"], truth[6]["end"])]
    regions += [(u["start"], u["end"]) for u in truth[7:]]
    assert split_at_speaker_changes(y, SR, regions) == regions
    assert split_at_speaker_changes(y, SR, []) == []
