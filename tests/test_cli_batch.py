"""The batch and QA commands through click's CliRunner, with the fake auditor patched in."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.store.db import SPEC_FIELDS
from tests.helpers import write_call

ABUSE = {
    "category": "abuse",
    "severity": "critical",
    "rule": "abuse.insult",
    "start": 12.3,
    "end": 15.0,
    "evidence": "你就是个老赖",
    "matched": "老赖",
}
SILENCE = {"category": "long_silence", "severity": "minor", "start": 40.0, "end": 48.0}


@pytest.fixture
def db(tmp_path: Path, fake_batch_auditor: Path) -> Path:
    """A database filled by `auditor run` over four fake calls (one broken)."""
    inbox = tmp_path / "in"
    write_call(inbox, "good.wav", duration=90.0)
    write_call(inbox, "abusive.wav", flags=[ABUSE, SILENCE], say="你就是个老赖，后果自负")
    write_call(inbox, "quiet.wav", flags=[SILENCE], cpm=300)
    (inbox / "broken.wav").write_bytes(b"CORRUPT")
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "file,call_start,agent_id,debtor_id,campaign\n"
        "abusive.wav,2025-03-01 22:15,A7,D1,spring\n"
        "quiet.wav,2025-03-02 10:00,A8,D2,spring\n",
        encoding="utf-8",
    )
    path = tmp_path / "calls.db"
    result = CliRunner().invoke(
        cli, ["run", str(inbox), "--db", str(path), "--workers", "1", "--metadata", str(meta)]
    )
    assert result.exit_code == 0, result.output
    assert "scored 3, failed 1, flagged 2" in result.stdout
    assert "real-time factor" in result.stdout
    return path


def test_run_again_does_nothing_and_missing_paths_are_errors(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    again = runner.invoke(cli, ["run", str(tmp_path / "in"), "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "scored 0, failed 0, flagged 0, skipped 4 (of 4 found)" in again.stdout
    assert len((tmp_path / "audit.log").read_text().splitlines()) == 4
    missing = runner.invoke(cli, ["run", str(tmp_path / "nope"), "--db", str(db)])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad_meta = tmp_path / "bad.csv"
    bad_meta.write_text("file,call_start\nx.wav,never\n", encoding="utf-8")
    res = runner.invoke(
        cli, ["run", str(tmp_path / "in"), "--db", str(db), "--metadata", str(bad_meta)]
    )
    assert res.exit_code == 1 and "bad.csv line 2" in res.output


def test_flagged_lists_worst_first_with_time_and_evidence(db: Path) -> None:
    res = CliRunner().invoke(cli, ["flagged", "--db", str(db)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert "FAILED" in lines[0] and "abusive.wav" in lines[0] and "agent A7" in lines[0]
    assert "00:12.3-00:15.0" in lines[1] and "你就是个老赖 (老赖)" in lines[1]
    assert "call_hours" not in res.stdout  # informational flags only on request
    assert res.stdout.index("abusive.wav") < res.stdout.index("quiet.wav")
    only = CliRunner().invoke(cli, ["flagged", "--db", str(db), "--agent", "A8", "--json"])
    assert [e["path"].rsplit("/", 1)[1] for e in json.loads(only.stdout)] == ["quiet.wav"]
    night = CliRunner().invoke(cli, ["flagged", "--db", str(db), "--category", "call_hours"])
    assert "abusive.wav" in night.stdout and "22:15" in night.stdout
    by_day = CliRunner().invoke(cli, ["flagged", "--db", str(db), "--date", "2025-03-02"])
    assert "quiet.wav" in by_day.stdout and "abusive.wav" not in by_day.stdout
    crit = CliRunner().invoke(
        cli, ["flagged", "--db", str(db), "--severity", "critical", "--unreviewed"]
    )
    assert "abusive.wav" in crit.stdout and "quiet.wav" not in crit.stdout


def test_show_by_name_or_id_prefix_and_as_json(db: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["show", "abusive.wav", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "你就是个老赖" in res.stdout and "FAILED" in res.stdout and "agent_id A7" in res.stdout
    as_json = runner.invoke(cli, ["show", "abusive.wav", "--db", str(db), "--json"])
    card = json.loads(as_json.stdout)
    assert card["passed"] is False and card["score"] < 100
    prefix = runner.invoke(cli, ["show", card["call_id"][:10], "--db", str(db), "--json"])
    assert json.loads(prefix.stdout)["call_id"] == card["call_id"]
    broken = runner.invoke(cli, ["show", "broken.wav", "--db", str(db)])
    assert "FAILED" in broken.stdout and "re-export" in broken.stdout
    missing = runner.invoke(cli, ["show", "zzz", "--db", str(db)])
    assert missing.exit_code == 1 and "no call matches" in missing.output


def test_search_finds_calls_by_what_was_said(db: Path) -> None:
    res = CliRunner().invoke(cli, ["search", "后果自负", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "abusive.wav" in res.stdout and "[00:05.0] agent" in res.stdout
    none = CliRunner().invoke(cli, ["search", "坐牢", "--db", str(db)])
    assert "Nothing said matches" in none.stdout


def test_export_jsonl_and_csv_keep_the_spec_shape(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["export", "--db", str(db), "--format", "jsonl"])
    cards = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(cards) == 4
    for card in cards:
        assert list(card)[: len(SPEC_FIELDS)] == list(SPEC_FIELDS)
        assert card["status"] in ("ok", "failed")
        assert len(card["call_id"]) == 64
    failed = next(c for c in cards if c["status"] == "failed")
    assert failed["error"] and failed["utterances"] == [] and failed["flags"] == []
    ok = next(c for c in cards if c["file"].endswith("abusive.wav"))
    assert ok["flags"][0] == {**ABUSE, "speaker": "agent"}
    out = tmp_path / "cards.csv"
    res = runner.invoke(cli, ["export", "--db", str(db), "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0 and "4 scorecard(s)" in res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0])[: len(SPEC_FIELDS)] == list(SPEC_FIELDS)
    by_file = {Path(r["file"]).name: r for r in rows}
    assert json.loads(by_file["abusive.wav"]["flags"])[0]["matched"] == "老赖"
    assert by_file["abusive.wav"]["passed"] == "false"


def test_report_text_and_self_contained_html(db: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", "--db", str(db), "--html", str(page)])
    assert res.exit_code == 0, res.output
    assert "passed: 2 of 3 (67%)" in res.stdout
    for section in (
        "Flags per category",
        "Per agent",
        "Per day",
        "Agent speech rate",
        "Agent talk ratio",
        "Calls that could not be audited",
    ):
        assert section in res.stdout
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") >= 4
    for external in ("<script", "<link", "src=", "href=", "url(", "@import"):
        assert external not in text


def test_qa_commands_on_a_missing_database_say_what_to_do(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["flagged", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1 and "auditor run PATH --db" in res.output
    assert not (tmp_path / "none.db").exists()


def test_run_without_the_voice_encoder_says_so_and_goes_on(
        tmp_path: Path, fake_batch_auditor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "in"
    write_call(inbox, "one.wav", duration=30.0)
    runner = CliRunner()
    monkeypatch.setenv("AUDITOR_VOICE_ENCODER", str(tmp_path / "absent.npz"))
    res = runner.invoke(cli, ["run", str(inbox), "--db", str(tmp_path / "a.db"), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "warning: No voice encoder weights at" in res.stderr
    assert "scored 1, failed 0" in res.stdout
    weights = tmp_path / "here.npz"
    weights.write_bytes(b"weights")
    monkeypatch.setenv("AUDITOR_VOICE_ENCODER", str(weights))
    write_call(inbox, "two.wav", duration=30.0)
    res = runner.invoke(cli, ["run", str(inbox), "--db", str(tmp_path / "a.db"), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "voice encoder" not in res.stderr
