"""The scorecard's typed owners: field order, optional additions, failed cards, one flag shape."""

from __future__ import annotations

import json
from datetime import datetime

from auditor.batch import metadata as md
from auditor.core.flag import make_flag
from auditor.core.scorecard import (
    SPEC_FIELDS,
    AsrInfo,
    Measures,
    Scorecard,
    Utterance,
    failed_scorecard,
    new_scorecard,
    utterances_with,
)
from auditor.core.vocab import STEPS

SPEC_ORDER = ("call_id", "file", "status", "error", "duration_s", "channels", "layout", "asr",
              "utterances", "metrics", "steps", "flags", "outcome", "score", "passed")


def test_spec_fields_come_from_the_dataclass_in_the_spec_order() -> None:
    assert SPEC_FIELDS == SPEC_ORDER
    assert tuple(new_scorecard("a.wav", "abc")) == SPEC_ORDER


def test_an_empty_card_has_every_field_and_nothing_judged() -> None:
    card = new_scorecard("a.wav")
    assert card == {"call_id": None, "file": "a.wav", "status": "ok", "error": None,
                    "duration_s": None, "channels": None, "layout": None, "asr": None,
                    "utterances": [], "metrics": {}, "steps": {}, "flags": [], "outcome": None,
                    "score": None,
                    "passed": None}


def test_additions_follow_the_spec_fields_only_when_known() -> None:
    card = Scorecard(call_id="c", file="a.wav", layout="mono", sample_rate=8000,
                     attribution_confidence=0.5, rules_version="v1",
                     asr=AsrInfo("whisper-base", "zh", 3.0, 0.9),
                     extra={"batch": "b1"}).to_dict()
    assert tuple(card) == SPEC_ORDER + ("sample_rate", "attribution_confidence",
                                        "rules_version", "batch")
    assert card["asr"] == {"model": "whisper-base", "language": "zh", "speech_s": 3.0,
                           "coverage": 0.9}
    assert "sample_rate" not in Scorecard(call_id=None, file="t.json").to_dict()


def test_failed_card_keeps_what_was_known_after_the_spec_fields() -> None:
    card = failed_scorecard("a.wav", "a.wav is silent.", "c", duration_s=2.0, channels=1,
                            layout="mono", sample_rate=8000)
    assert tuple(card) == SPEC_ORDER + ("sample_rate",)
    assert (card["status"], card["error"], card["passed"], card["score"]) == (
        "failed", "a.wav is silent.", False, None)
    assert card["duration_s"] == 2.0 and card["utterances"] == [] and card["flags"] == []


def test_utterance_json_repairs_and_measures_only_when_there() -> None:
    plain = {"speaker": "agent", "start": 0.5, "end": 1.5, "text": "您好", "channel": 0}
    assert Utterance.from_dict(plain).to_dict() == plain
    measured = Utterance.from_dict({**plain, "asr_repairs": ["loop"]},
                                   Measures(1.0, 120.0, -20.5, None)).to_dict()
    assert list(measured) == ["speaker", "start", "end", "text", "channel", "asr_repairs",
                              "speaking_s", "rate_cpm", "loudness_dbfs", "pitch_hz"]
    assert measured["asr_repairs"] == ["loop"] and measured["pitch_hz"] is None
    json.dumps(measured)
    assert [u.measures for u in utterances_with([plain, plain])] == [None, None]


def test_steps_list_is_the_shared_one() -> None:
    assert STEPS[0] == "greeting" and STEPS[-1] == "closing" and len(STEPS) == 7


def test_metadata_flags_have_the_one_flag_shape() -> None:
    meta = md.CallMeta("a.wav", call_start=datetime(2026, 3, 1, 23, 15))
    flag = md.call_hours_flag(meta, 61.0)
    assert flag == make_flag("call_hours", "call_hours.quiet_hours", "info", "agent", 0.0, 61.0,
                             "call placed at 23:15 (no collection calls 22:00-08:00)",
                             "2026-03-01T23:15:00")
    freq = md.frequency_flag("D1", "2026-03-01", 4, 4, None)
    assert list(freq) == ["category", "rule", "severity", "speaker", "start", "end",
                          "evidence", "matched", "uncertain"]
    assert freq["end"] == 0.0 and freq["matched"] == "D1"
