"""The pipeline's edges without the model: speaker by channel, pieces to utterances, and an
unforeseen error failing one call instead of the batch."""

from __future__ import annotations

import soundfile as sf

from auditor import pipeline
from auditor.asr.transcribe import Piece
from auditor.pipeline import Auditor, pieces_to_utterances, speaker_for_channel

from .conftest import tone


def test_speaker_for_channel():
    assert speaker_for_channel(0, 2, 0) == "agent"
    assert speaker_for_channel(1, 2, 0) == "customer"
    assert speaker_for_channel(0, 2, 1) == "customer"
    assert speaker_for_channel(0, 1, 0) == "unknown"


def test_pieces_without_text_are_not_utterances_and_order_is_by_time():
    pieces = [Piece(1, (2.0, 3.0), (1.8, 3.2), text="是我。"),
              Piece(0, (0.5, 1.5), (0.3, 1.7), text="您好，请问是张伟先生吗？"),
              Piece(0, (4.0, 4.5), (3.8, 4.7), text="  ")]
    pieces[0].repairs.append("loop")
    utts = pieces_to_utterances(pieces, channels=2, agent_channel=0)
    assert [u["speaker"] for u in utts] == ["agent", "customer"]
    assert utts[1]["asr_repairs"] == ["loop"] and "asr_repairs" not in utts[0]
    assert utts[0]["channel"] == 0 and utts[1]["start"] == 2.0


def test_an_unforeseen_error_fails_that_call_only(tmp_path, monkeypatch):
    sf.write(tmp_path / "call.wav", tone(2.0, 8000), 8000)

    def broken(*args, **kwargs):
        raise ValueError("unexpected shape")

    monkeypatch.setattr(pipeline, "find_pieces", broken)
    card = Auditor(load_asr=False).audit(tmp_path / "call.wav")
    assert card["status"] == "failed"
    assert "ValueError: unexpected shape" in card["error"]
    assert len(card["call_id"]) == 64 and card["utterances"] == []


TRANSCRIPT = [
    {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "您好，请问是张伟先生本人吗？"},
    {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "是我。"},
    {"speaker": "agent", "start": 3.5, "end": 6.0, "text": "你就是个老赖，再见。"},
]


def test_a_given_call_id_is_not_hashed_again(tmp_path, monkeypatch):
    sf.write(tmp_path / "call.wav", 0 * tone(2.0, 8000), 8000)

    def no_hash(*args, **kwargs):
        raise AssertionError("the file was hashed again")

    monkeypatch.setattr(pipeline, "file_sha256", no_hash)
    card = Auditor(load_asr=False).audit(tmp_path / "call.wav", call_id="f" * 64)
    assert card["call_id"] == "f" * 64 and card["status"] == "failed"
    assert "silent" in card["error"]


def test_score_switch_leaves_the_card_unscored_for_the_batch():
    auditor = Auditor(load_asr=False)
    unscored = auditor.audit_transcript(TRANSCRIPT, "t.json", "stereo", score=False)
    assert unscored["score"] is None and unscored["passed"] is None
    assert "subscores" not in unscored and unscored["rules_version"] == auditor.rules_version
    scored = auditor.score(unscored)
    assert scored == auditor.audit_transcript(TRANSCRIPT, "t.json", "stereo")
    assert isinstance(scored["score"], int) and "subscores" in scored
    assert "abuse" in {f["category"] for f in scored["flags"]}


def test_analysis_returns_values_and_changes_nothing_it_is_given():
    auditor = Auditor(load_asr=False)
    given = [dict(u, channel=0) for u in TRANSCRIPT]
    before = [dict(u) for u in given]
    analysis = auditor.analyser.analyse(given, None, "stereo")
    assert given == before
    assert analysis.measures is None and analysis.metrics == {}
    assert analysis.steps["greeting"] and analysis.attribution_confidence is None
    assert [u.to_dict() for u in analysis.card_utterances()] == before
