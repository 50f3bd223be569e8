"""Transcript input for text-only audits."""

import json

import pytest

from auditor.asr.transcript import TranscriptError, load_transcript


def test_list_and_object_forms(tmp_path):
    utts = [{"speaker": "customer", "start": 3, "end": 4, "text": "是我"},
            {"speaker": "Agent", "start": 0.5, "end": 2.0, "text": "您好"}]
    (tmp_path / "a.json").write_text(json.dumps(utts), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"layout": "stereo", "utterances": utts}),
                                     encoding="utf-8")
    got, layout = load_transcript(tmp_path / "a.json")
    assert [u["speaker"] for u in got] == ["agent", "customer"]
    assert layout is None
    got, layout = load_transcript(tmp_path / "b.json")
    assert layout == "stereo" and got[0]["start"] == 0.5


def test_bad_transcripts_say_why(tmp_path):
    with pytest.raises(TranscriptError, match="does not exist"):
        load_transcript(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TranscriptError, match="not valid"):
        load_transcript(tmp_path / "bad.json")
    (tmp_path / "who.json").write_text(json.dumps([{"speaker": "boss", "text": "x"}]),
                                       encoding="utf-8")
    with pytest.raises(TranscriptError, match="speaker 'boss'"):
        load_transcript(tmp_path / "who.json")
    (tmp_path / "none.json").write_text(json.dumps({"x": 1}), encoding="utf-8")
    with pytest.raises(TranscriptError, match="no utterance list"):
        load_transcript(tmp_path / "none.json")
