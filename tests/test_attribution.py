"""Mono attribution on synthetic voices: separation, role naming, weak evidence, change splits,
and the call's voice features computed once for both the splitting and the attribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

from auditor.speakers.attribution import _agreement_confidence, attribute
from auditor.speakers.changes import split_at_speaker_changes
from auditor.speakers.features import VoiceFrames, voice_frames
from auditor.speakers.roles import change_probability, cue_score, smooth_turns
from auditor.speakers.settings import load_attribution_settings

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
    """Mono call from (speaker, seconds, text[, gap after]) turns: samples and truth utterances."""
    voices = voices or {"agent": HIGH, "customer": LOW}
    rng = np.random.default_rng(seed)
    parts, truth, t = [np.zeros(SR // 2)], [], 0.5
    for spk, dur, text, *fixed_gap in turns:
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
        gap = float(fixed_gap[0]) if fixed_gap else float(rng.uniform(0.3, 0.7))
        parts.append(np.zeros(int(gap * SR)))
        t += dur + gap
    y = np.concatenate(parts)
    return (y + 0.01 * rng.standard_normal(y.size)).astype(np.float32), truth


def _unknown(truth):
    return [dict(u, speaker="unknown") for u in truth]


@pytest.fixture(scope="module")
def two_voices():
    """The dialogue in two voices: samples, truth utterances and the call's voice features."""
    y, truth = _call(DIALOGUE)
    return y, truth, voice_frames(y, SR)


def test_two_voices_are_separated_and_named(two_voices):
    y, truth, frames = two_voices
    out, conf = attribute(frames, _unknown(truth))
    assert [u["speaker"] for u in out] == [u["speaker"] for u in truth]
    assert conf > 0.6
    assert [u["text"] for u in out] == [u["text"] for u in truth]  # nothing else changed


def test_input_is_not_mutated(two_voices):
    y, truth, frames = two_voices
    given = _unknown(truth)
    attribute(frames, given)
    assert all(u["speaker"] == "unknown" for u in given)


def test_role_cues_name_the_clusters_not_the_pitch():
    # Same dialogue, but now the agent has the low voice: the greeting / 工号 side is the agent.
    y, truth = _call(DIALOGUE, voices={"agent": LOW, "customer": HIGH}, seed=1)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    assert [u["speaker"] for u in out] == [u["speaker"] for u in truth]
    assert conf > 0.5


def test_no_role_cues_means_low_confidence(two_voices):
    y, truth, frames = two_voices
    bare = [dict(u, text="这个这个") for u in _unknown(truth)]
    _, conf = attribute(frames, bare)
    assert conf < 0.4


def test_single_voice_gets_low_confidence_and_no_customer():
    # One voice, one party (a voicemail-like monologue): nothing to tell apart.
    lines = ["您好，这是给张伟先生本人的留言。", "我是某某银行委托的贷后专员，工号幺二三四。",
             "有重要事情需要和您沟通。", "请您收到留言后尽快回电。", "这个这个。",
             "感谢您的配合，再见。"]
    y, truth = _call([("agent", 2.5, text) for text in lines], seed=2)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    assert conf < 0.3
    assert not any(u["speaker"] == "customer" for u in out)
    # No cue, but one voice throughout and no line that says customer: it goes with the voice
    # of the others (never to the customer), instead of being left unknown.
    assert out[4]["speaker"] == "agent"
    assert out[1]["speaker"] == "agent"  # 银行 委托 工号: the text alone is clear


def test_very_short_call_is_low_confidence():
    y, truth = _call(DIALOGUE[:2], seed=3)
    frames = voice_frames(y, SR)
    out, conf = attribute(frames, _unknown(truth))
    assert len(out) == 2 and conf < 0.3
    assert attribute(frames, []) == ([], 0.0)


def test_cue_score_signs_and_homophones():
    assert cue_score("您好，请问是李明先生本人吗？") > 2
    assert cue_score("我是XX银行的贷后专员，功耗三七二一") > 2  # 功耗 is how ASR writes 工号
    assert cue_score("您已经于七三十天了") > 1  # 于七 = 逾期 in toneless pinyin
    assert cue_score("对") < 0 and cue_score("我现在没钱") < 0
    assert cue_score("这个这个") == 0


def test_a_stretch_with_both_voices_is_split_in_the_pause(two_voices):
    y, truth, frames = two_voices
    # The VAD merged agent+customer in two places; every other region is one voice.
    regions = [
        (truth[0]["start"], truth[1]["end"]),
        (truth[2]["start"], truth[2]["end"]),
        (truth[3]["start"], truth[3]["end"]),
        (truth[4]["start"], truth[5]["end"]),
    ]
    regions += [(u["start"], u["end"]) for u in truth[6:]]
    out = split_at_speaker_changes(frames, regions)
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
    frames = voice_frames(y, SR)
    assert split_at_speaker_changes(frames, regions) == regions
    assert split_at_speaker_changes(frames, []) == []


# What the product sees: Whisper text (homophones, digits, commas where the VAD cut a turn) and
# VAD pieces; customers say dates and amounts too, agents read plans back.
ASR_DIALOGUE = [
    ("agent", 2.7, "您好,请问是草影女士本人吗?", 0.5),
    ("customer", 0.7, "是我。", 0.4),
    ("agent", 6.0, "我是新和银行信用卡中心的戴后专员,公后50318,本次通话会被录音。", 0.2),
    ("customer", 1.0, "恩,你说。", 0.1),
    ("agent", 7.0, "因为号二九三三的信用卡千款34,567元,于七十天轮,会影响您的个人真心。", 0.6),
    ("customer", 3.0, "我二十八号发公司,千还一万五。", 0.6),
    ("agent", 0.5, "好的,", 0.05),
    ("agent", 3.5, "11月28日之前还15000元,对吗?", 0.4),
    ("customer", 1.2, "对,没问题", 0.5),
    ("agent", 2.0, "感谢您的配合,再见", 0.5),
]


def test_asr_text_with_indistinct_voices_is_attributed_by_text_and_turns():
    # Both parties with the same voice: only the wording and the turn-taking can tell them apart.
    y, truth = _call(ASR_DIALOGUE, voices={"agent": HIGH, "customer": HIGH}, seed=5)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    assert [u["speaker"] for u in out] == [u["speaker"] for u in truth]
    # The text settles it, the voices do not confirm.
    assert 0.2 < conf <= load_attribution_settings().text_conf_max + 1e-9


def test_asr_text_with_two_voices():
    y, truth = _call(ASR_DIALOGUE, seed=6)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    assert [u["speaker"] for u in out] == [u["speaker"] for u in truth]
    assert conf > 0.5


def test_one_party_asking_questions_gets_no_customer():
    # A voicemail that asks a question: nobody answers, turn-taking must not invent a customer.
    lines = ["您好，请问是张伟先生本人吗？", "这个这个。", "我是某某银行委托的贷后专员。",
             "您什么时候方便回电？", "这个这个。", "感谢您的配合，再见。"]
    y, truth = _call([("agent", 2.0, text) for text in lines], seed=7)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    assert not any(u["speaker"] == "customer" for u in out)
    assert conf < 0.3


def test_cue_score_on_asr_output():
    # ASR homophones of the agent's terms: 千款 = 欠款, 于七 = 逾期, 真心 = 征信, 公后 = 工号
    assert cue_score("因为号二九三三的信用卡千款34,567元,于七十天轮,会影响您的个人真心。") > 2
    assert cue_score("11月15日之前还6,100元,对吗?") > 2  # the agent's read-back
    assert cue_score("我二十八号发公司,千还一万五。") < 0  # the customer's own date and amount
    assert cue_score("12月5号先还6000行吗?") < 0
    assert abs(cue_score("可以。")) < 1  # said by both
    assert cue_score("好的,") > cue_score("对。")  # 好的， often opens a read-back
    assert cue_score("讲故事我们听") == 0  # 是我 does not match across words in pinyin


def test_change_probability_from_questions_commas_and_gaps():
    def u(start, end, text):
        return {"start": start, "end": end, "text": text}

    question = change_probability(u(0, 2, "请问是张伟先生本人吗"), u(2.5, 3, "是我"))
    cut = change_probability(u(0, 0.5, "好的,"), u(0.55, 3, "11月15日之前还6100元"))
    sentence = change_probability(u(0, 2, "您的信用卡逾期了。"), u(2.6, 3, "我知道"))
    assert question > sentence > 0.5 > cut
    # A short backchannel is said into the other's turn: a change on both sides of it.
    into = change_probability(u(0, 2, "您的信用卡逾期了。"), u(2.6, 3, "嗯"))
    out_of = change_probability(u(2.6, 3, "嗯"), u(3.3, 6, "会影响您的征信。"))
    assert into > sentence and out_of > sentence


def test_smooth_turns():
    # A line without cues between two agent lines: an answer after a question ...
    assert smooth_turns(np.array([6.0, 0.0, 6.0]), np.array([0.85, 0.65]))[1] < -1
    # ... but the same speaker going on after a comma cut.
    assert smooth_turns(np.array([6.0, 0.0, 6.0]), np.array([0.15, 0.5]))[1] > 1
    assert np.allclose(smooth_turns(np.zeros(3), np.full(2, 0.5)), 0.0)
    assert smooth_turns(np.zeros(0), np.zeros(0)).size == 0


def test_voices_that_agree_with_one_side_only_are_no_evidence():
    # Voice scores all say "agent": they agree with the agent lines and with nothing else.
    acoustic = np.full(6, 5.0)
    sides = np.array([4.0, -3.0, 4.0, -3.0, 4.0, -3.0])
    s = load_attribution_settings()
    assert _agreement_confidence(acoustic, sides, np.full(6, 2.0), s) == 0.0
    assert _agreement_confidence(np.sign(sides) * 5, sides, np.full(6, 2.0), s) == 1.0


class _TextByTime:
    """Stands in for the Whisper decoder: each piece gets the truth text it overlaps most."""

    def __init__(self, truth: list[dict]) -> None:
        self.truth = truth

    def decode(self, channels: np.ndarray, pieces: list) -> list:
        for piece in pieces:
            a, b = piece.region
            best = max(self.truth, key=lambda u: min(b, u["end"]) - max(a, u["start"]))
            piece.text = best["text"] if min(b, best["end"]) > max(a, best["start"]) else ""
        return pieces


def test_a_mono_call_has_its_voice_features_computed_once(two_voices, monkeypatch):
    # The pipeline computes the features once and hands the same value to the splitting (before
    # decoding) and to the attribution (after it): nothing recomputes them, nothing caches them.
    from auditor import pipeline
    from auditor.audio.decode import Audio
    from auditor.speakers import attribution, changes, features

    y, truth, _ = two_voices
    computed: list[VoiceFrames] = []
    given: dict[str, list[VoiceFrames]] = {"split": [], "attribute": []}

    real_frames = features.voice_frames

    def counting_frames(samples, sample_rate):
        computed.append(real_frames(samples, sample_rate))
        return computed[-1]

    def spying(name, real):
        def wrapper(frames, *args, **kwargs):
            given[name].append(frames)
            return real(frames, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(pipeline, "voice_frames", counting_frames)
    monkeypatch.setattr(features, "voice_frames", counting_frames)  # the analyser's fallback
    monkeypatch.setattr(changes, "split_at_speaker_changes",
                        spying("split", changes.split_at_speaker_changes))
    monkeypatch.setattr(attribution, "attribute", spying("attribute", attribution.attribute))
    auditor = pipeline.Auditor(load_asr=False)
    auditor._transcriber = _TextByTime(truth)
    card = auditor.audit_audio(Audio(y[None, :], SR, SR, "pcm"), "call.wav", None)

    assert len(computed) == 1
    assert given["split"] == computed and given["attribute"] == computed
    assert given["split"][0] is given["attribute"][0] is computed[0]
    assert card["attribution_confidence"] is not None and card["utterances"]


def test_no_module_level_feature_cache():
    # The features travel as a value; no module keeps a private dict of them between calls.
    from auditor.speakers import attribution, changes, features, voices

    for module in (attribution, changes, features, voices):
        private = {k: v for k, v in vars(module).items() if k.startswith("_") and k[1] != "_"}
        assert not any(isinstance(v, dict) for v in private.values()), module.__name__


# ------------------------------------------------------------------ posterior, timbre, content

# Same pitch as HIGH, another timbre (tilt and formants): only the spectral envelope differs.
SAME_PITCH = {"f0": 210.0, "tilt": 1.6, "formants": [(550, 120), (1200, 150), (2500, 200)]}
# Everyday lines with no role wording at all: only the voices and who opens tell the parties.
PLAIN = [
    ("agent", 3.0, "今天天气怎么样呢"),
    ("customer", 1.2, "还行吧"),
    ("agent", 3.5, "我们来看一下这个情况具体是怎样的"),
    ("customer", 1.0, "好啊"),
    ("agent", 3.0, "这边有几个地方需要说明一下"),
    ("customer", 1.4, "嗯知道"),
    ("agent", 2.5, "那就先这样安排下去"),
    ("customer", 1.0, "可以的"),
]


def _right_share(out, truth):
    total = sum(t["end"] - t["start"] for t in truth)
    return sum(t["end"] - t["start"] for u, t in zip(out, truth, strict=True)
               if u["speaker"] == t["speaker"]) / total


def test_every_mono_line_carries_a_posterior_consistent_with_its_label(two_voices):
    from auditor.speakers.roles import load_roles

    _y, truth, frames = two_voices
    out, _ = attribute(frames, _unknown(truth))
    settled = load_roles().decision.settled
    for u in out:
        p = u["agent_posterior"]
        assert 0.0 <= p <= 1.0 and round(p, 3) == p
        if u["speaker"] == "agent":
            assert p >= settled
        elif u["speaker"] == "customer":
            assert p <= 1 - settled


def test_voices_differing_in_timbre_only_are_told_apart_without_cues():
    y, truth = _call(PLAIN, voices={"agent": HIGH, "customer": SAME_PITCH}, seed=11)
    out, _ = attribute(voice_frames(y, SR), _unknown(truth))
    assert _right_share(out, truth) >= 0.9


def test_a_shouted_agent_line_stays_with_the_agent():
    y, truth = _call(PLAIN, voices={"agent": LOW, "customer": HIGH}, seed=12)
    line = truth[4]  # an agent line: 9 dB louder
    a, b = int(line["start"] * SR), int(line["end"] * SR)
    y = y.copy()
    y[a:b] *= 10 ** (9 / 20)
    out, _ = attribute(voice_frames(y, SR), _unknown(truth))
    assert out[4]["speaker"] == "agent"
    assert _right_share(out, truth) >= 0.9


def test_one_voice_without_cues_names_nobody_but_keeps_posteriors():
    y, truth = _call(PLAIN, voices={"agent": HIGH, "customer": HIGH}, seed=13)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    # The voices name nobody: only the opener and a line with a clear cue may be settled.
    assert sum(u["speaker"] == "unknown" for u in out) >= len(out) - 2
    assert all("agent_posterior" in u for u in out)
    assert conf < 0.3


MONOLOGUE = [("agent", 3.0, "今天天气怎么样呢"),
             ("agent", 3.5, "我们来看一下这个情况具体是怎样的"),
             ("agent", 3.0, "这边有几个地方需要说明一下"),
             ("agent", 4.0, "下面我们一项一项地过一遍"),
             ("agent", 1.2, "就这样")]


def test_a_monologue_goes_with_the_opener_and_names_no_customer():
    # One voice, no line whose text says customer (a voicemail): the opener is the agent, and
    # length or turn priors alone never name a customer.
    y, truth = _call(MONOLOGUE, voices={"agent": HIGH, "customer": HIGH}, seed=15)
    out, conf = attribute(voice_frames(y, SR), _unknown(truth))
    assert out[0]["speaker"] == "agent"
    assert not any(u["speaker"] == "customer" for u in out)
    assert conf < 0.3


def test_one_voice_with_a_customer_cue_is_not_taken_for_one_party():
    lines = [*PLAIN[:3], ("customer", 1.5, "我下个月发工资再还"), *PLAIN[4:]]
    y, truth = _call(lines, voices={"agent": HIGH, "customer": HIGH}, seed=13)
    out, _ = attribute(voice_frames(y, SR), _unknown(truth))
    assert out[3]["speaker"] != "agent"


def test_low_asr_confidence_weakens_a_lines_cues():
    lines = [("agent", 3.0, "您好，请问是张伟先生本人吗？"), ("customer", 1.0, "是我。"),
             ("agent", 3.0, "您的欠款已经逾期了，会影响征信。"),
             ("customer", 1.5, "我下个月发工资再还。")]
    y, truth = _call(lines, voices={"agent": HIGH, "customer": HIGH}, seed=14)
    frames = voice_frames(y, SR)
    sure, _ = attribute(frames, _unknown(truth))
    doubtful, _ = attribute(frames, [dict(u, confidence=0.1) if k == 2 else u
                                     for k, u in enumerate(_unknown(truth))])
    assert abs(doubtful[2]["agent_posterior"] - 0.5) < abs(sure[2]["agent_posterior"] - 0.5)


def test_agent_lines_around_a_backchannel_stay_with_the_agent():
    # One voice for both parties: only the turn-taking links the agent's two lines.
    lines = [("agent", 3.0, "您好，请问是张伟先生本人吗？"), ("customer", 1.0, "是我。"),
             ("agent", 4.0, "我是某某银行委托的贷后专员，工号1234。"),
             ("customer", 0.4, "嗯", 0.15), ("agent", 3.0, "这个情况需要说明一下。")]
    y, truth = _call(lines, voices={"agent": HIGH, "customer": HIGH}, seed=15)
    out, _ = attribute(voice_frames(y, SR), _unknown(truth))
    assert out[4]["speaker"] != "customer"
    assert out[4]["agent_posterior"] > 0.5


def test_stereo_utterances_get_their_channels_posterior():
    from auditor.asr.transcribe import Piece
    from auditor.core.scorecard import Utterance
    from auditor.pipeline import pieces_to_utterances

    pieces = [Piece(0, (0.0, 1.0), (0.0, 1.0), text="您好"),
              Piece(1, (1.2, 2.0), (1.2, 2.0), text="是我")]
    utts = pieces_to_utterances(pieces, channels=2, agent_channel=0)
    assert [(u["speaker"], u["agent_posterior"]) for u in utts] == [("agent", 1.0),
                                                                    ("customer", 0.0)]
    assert Utterance.from_dict(utts[1]).to_dict()["agent_posterior"] == 0.0
    assert "agent_posterior" not in pieces_to_utterances(pieces[:1], 1, 0)[0]


ANSWERED = [("agent", 3.0, "您好，请问您是张伟先生吗？"), ("customer", 0.6, "对"),
            ("agent", 4.0, "这里是某某小贷，您的借款已经逾期了。"),
            ("agent", 3.0, "要不这样，明天先还两千元，您看行吗？"), ("customer", 0.6, "好"),
            ("agent", 2.0, "感谢您的配合，再见。")]


def test_one_voice_keeps_the_turn_after_a_question_answered():
    # The voices do not split (one synthetic voice for both) and the replies' cues are weak
    # (low recogniser confidence): the dialogue still says a question was answered, so the
    # bare 对 / 好 after a question is not settled as the agent's.
    y, truth = _call(ANSWERED, voices={"agent": HIGH, "customer": HIGH}, seed=16)
    heard = [dict(u, confidence=0.4) if u["text"] in ("对", "好") else u for u in _unknown(truth)]
    out, _ = attribute(voice_frames(y, SR), heard)
    assert out[0]["speaker"] == "agent"
    assert out[1]["speaker"] != "agent" and out[4]["speaker"] != "agent"
    assert out[1]["agent_posterior"] < 0.5 and out[4]["agent_posterior"] < 0.5
