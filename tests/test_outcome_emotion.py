"""The customer's state from words and from the voice against their own median."""

from auditor.outcome import extract_outcome
from tests.outcome_cases import OPENING, START, call


def state(*lines, voice=None):
    return extract_outcome(call(*OPENING, *lines), START, voice=voice)["customer"]


def test_calm():
    assert state(("customer", "好的，我知道了。")) == \
        {"emotion": "calm", "complaint_threat": False, "refusal": False}


def test_insult_is_hostile():
    assert state(("customer", "你们这帮骗子，滚！"))["emotion"] == "hostile"


def test_regulator_threat_is_hostile():
    c = state(("customer", "你再打我就打12378投诉你们。"))
    assert c["emotion"] == "hostile" and c["complaint_threat"] is True


def test_police_and_media_threats():
    for text in ["我要报警了。", "我去找媒体曝光你们。", "我去银保监举报。"]:
        assert state(("customer", text))["complaint_threat"] is True, text


def test_irritation_is_upset():
    assert state(("customer", "烦死了，别打了。"))["emotion"] == "upset"


def test_refusal_words():
    c = state(("customer", "没钱，爱咋咋地。"))
    assert c["refusal"] is True


def _voiced(loud_last: float, pitch_last: float):
    levels = {"loudness_dbfs": -30.0, "pitch_hz": 150.0}
    lines = [("customer", "嗯，你说。", levels), ("customer", "好的。", levels),
             ("customer", "我知道。", levels),
             ("customer", "我说了我知道了。", {"loudness_dbfs": loud_last, "pitch_hz": pitch_last})]
    return lines


def test_shouting_voice_is_hostile():
    assert state(*_voiced(-18.0, 190.0))["emotion"] == "hostile"


def test_raised_voice_is_upset():
    assert state(*_voiced(-23.0, 150.0))["emotion"] == "upset"


def test_steady_voice_is_calm():
    assert state(*_voiced(-29.0, 152.0))["emotion"] == "calm"


def test_voice_mapping_overrides_utterance_fields():
    lines = [("customer", "嗯，你说。"), ("customer", "好的。"), ("customer", "我知道。"),
             ("customer", "我说了我知道了。")]
    n = len(OPENING)
    per = [{}] * n + [{"loudness_dbfs": -30.0, "pitch_hz": 150.0}] * 3 + \
        [{"loudness_dbfs": -17.0, "pitch_hz": 200.0}]
    assert state(*lines, voice={"utterances": per})["emotion"] == "hostile"
    assert state(*lines, voice={n + 3: {"loudness_dbfs": -17.0}})["emotion"] == "calm"
