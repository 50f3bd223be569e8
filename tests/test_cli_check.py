"""`auditor check` on bad input: one sentence, non-zero exit, a failed scorecard with --json.

None of these needs the speech model: bad input is refused before it is loaded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from auditor.cli.main import cli
from tests.helpers import tone


@pytest.fixture
def bad_files(tmp_path):
    files = {}
    files["missing"] = tmp_path / "missing.wav"
    files["empty"] = tmp_path / "empty.wav"
    files["empty"].write_bytes(b"")
    files["text"] = tmp_path / "notes.mp3"
    files["text"].write_text("not audio at all\n" * 40)
    sf.write(tmp_path / "full.wav", tone(3.0, 8000), 8000, subtype="PCM_16")
    data = (tmp_path / "full.wav").read_bytes()
    files["truncated"] = tmp_path / "cut.wav"
    files["truncated"].write_bytes(data[: len(data) // 3])
    files["zero"] = tmp_path / "zero.wav"
    sf.write(files["zero"], np.zeros(0, dtype=np.float32), 8000)
    files["silent"] = tmp_path / "silent.wav"
    sf.write(files["silent"], np.zeros(8000 * 5, dtype=np.float32), 8000)
    files["noise"] = tmp_path / "hiss.wav"
    rng = np.random.default_rng(1)
    sf.write(files["noise"], rng.normal(0, 0.001, 8000 * 5).astype(np.float32), 8000)
    return files


EXPECTED = {
    "missing": "does not exist",
    "empty": "empty",
    "text": "not a readable audio file|could not be decoded",
    "truncated": "truncated",
    "zero": "no audio samples",
    "silent": "silent",
    "noise": "No speech was found",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_bad_input_is_one_sentence_and_non_zero(bad_files, kind):
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(bad_files[kind])])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert message.startswith("error: ")
    assert "Traceback" not in result.output + result.stderr
    assert len(message.splitlines()) == 1
    import re

    assert re.search(EXPECTED[kind], message)


@pytest.mark.parametrize("kind", ["missing", "truncated", "silent"])
def test_bad_input_json_is_a_failed_scorecard(bad_files, kind):
    result = CliRunner().invoke(cli, ["check", "--json", str(bad_files[kind])])
    assert result.exit_code == 1
    card = json.loads(result.stdout)
    assert card["status"] == "failed"
    assert card["error"] and card["error"] in result.stderr
    assert card["utterances"] == [] and card["flags"] == []
    for key in ("call_id", "file", "duration_s", "channels", "layout", "asr", "metrics",
                "steps", "score", "passed"):
        assert key in card


def test_missing_model_names_make_setup(tmp_path):
    sf.write(tmp_path / "a.wav", tone(1.0, 8000), 8000)
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "a.wav"), "--model",
                                      str(tmp_path / "no-model")])
    assert result.exit_code == 2
    assert "make setup" in result.stderr


def test_transcript_audit_without_audio(tmp_path):
    utterances = [
        {"speaker": "agent", "start": 0.5, "end": 2.0, "text": "您好，请问是王芳女士本人吗？"},
        {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "是我。"},
        {"speaker": "agent", "start": 3.5, "end": 8.0,
         "text": "我是安信消费金融的贷后专员，工号三三零一。您的借呗逾期二十天了，欠款三千元。"},
        {"speaker": "agent", "start": 8.5, "end": 10.0, "text": "你这个老赖，不要脸。"},
        {"speaker": "agent", "start": 10.5, "end": 13.0,
         "text": "逾期会影响个人征信，您看哪天能还款？"},
        {"speaker": "customer", "start": 13.5, "end": 14.5, "text": "下周五还三千。"},
        {"speaker": "agent", "start": 15.0, "end": 17.0,
         "text": "好的，下周五还款三千元。感谢您的配合，再见。"},
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(utterances, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--transcript", "--json", str(path)])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["status"] == "ok"
    categories = {f["category"] for f in card["flags"]}
    assert categories == {"abuse"}
    assert card["passed"] is False
    assert all(card["steps"].values())
    human = CliRunner().invoke(cli, ["check", "--transcript", str(path)])
    assert "abuse" in human.stdout and "老赖" in human.stdout
