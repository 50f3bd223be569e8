"""`auditor rules test DIR --db DB`: a pack change tried on the stored calls and QA's verdicts,
through CliRunner on a real SQLite database, which is byte-identical afterwards."""

from __future__ import annotations

import gc
import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from auditor.batch.run import run_batch
from auditor.cli.main import cli
from tests.helpers import db_rows, make_fake, write_call

INSULT = "你这个老赖，欠钱不还还好意思接电话。"
QUOTED = "最近老赖这个词网上很火，欠款的事我们慢慢谈。"
POLITE = "我是东方银行的贷后专员，您今天方便处理一下吗？快点处理对您有好处。"


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _reviewed_db(tmp_path: Path) -> Path:
    """Three calls audited with the current rules; the insult confirmed on one call, the
    same word marked a false alarm on another."""
    calls = tmp_path / "calls"
    write_call(calls, "insult.wav", say=INSULT)
    write_call(calls, "quoted.wav", say=QUOTED)
    write_call(calls, "polite.wav", say=POLITE)
    db = tmp_path / "audit.db"
    run_batch([calls], db, workers=1, factory=make_fake)
    _invoke("rescore", "--db", str(db))
    ids = dict(db_rows(db, "SELECT c.path, f.id FROM flags f JOIN calls c ON c.id = f.call_id "
                           "WHERE f.rule = 'abuse.insult'"))
    by_name = {Path(p).name: i for p, i in ids.items()}
    assert set(by_name) == {"insult.wav", "quoted.wav"}, ids
    _invoke("review", str(by_name["insult.wav"]), "--db", str(db), "--verdict", "confirmed",
            "--reviewer", "ann")
    _invoke("review", str(by_name["quoted.wav"]), "--db", str(db), "--verdict", "false_alarm",
            "--reviewer", "bo", "--comment", "quoting, not calling")
    return db


def _change(tmp_path: Path) -> Path:
    """The insult pack without the word, and a new impatience rule."""
    packs = tmp_path / "change"
    packs.mkdir()
    (packs / "abuse.toml").write_text(
        '[[rule]]\nid = "abuse.insult"\ncategory = "abuse"\nseverity = "critical"\n'
        'phrases = ["王八蛋"]\n', encoding="utf-8")
    (packs / "hurry.toml").write_text(
        '[[rule]]\nid = "impatience.hurry_test"\ncategory = "impatience"\nseverity = "minor"\n'
        'phrases = ["快点"]\n', encoding="utf-8")
    return packs


def _files(db: Path) -> tuple[str, int]:
    """The database file's hash and how many bytes its write-ahead log holds (a read-only
    connection may leave an empty log and its index behind, never content)."""
    gc.collect()  # connections the in-process commands left to the collector close first
    wal = db.with_name(db.name + "-wal")
    return hashlib.sha256(db.read_bytes()).hexdigest(), wal.stat().st_size if wal.exists() else 0


def test_rules_test_reports_hits_and_verdicts_and_writes_nothing(tmp_path: Path) -> None:
    db = _reviewed_db(tmp_path)
    change = _change(tmp_path)
    before = _files(db)
    data = json.loads(_invoke("rules", "test", str(change), "--db", str(db), "--json"))
    assert _files(db) == before  # the database file byte-identical, no log written
    rules = {r["rule"]: r for r in data["rules"]}
    assert rules["abuse.insult"]["disappeared"] == 2 and rules["abuse.insult"]["appeared"] == 0
    assert rules["impatience.hurry_test"]["appeared"] == 1
    example = rules["impatience.hurry_test"]["new_examples"][0]
    assert "快点" in example["evidence"] and example["start"] == 5.0
    v = data["verdicts"]
    assert [x["reviewer"] for x in v["confirmed_lost"]] == ["ann"]
    assert [x["comment"] for x in v["false_alarms_removed"]] == ["quoting, not calling"]
    assert v["before"] == {"confirmed": 1, "false_alarms": 1, "precision": 0.5, "recall": 1.0}
    assert v["after"] == {"confirmed": 0, "false_alarms": 0, "precision": None, "recall": 0.0}
    assert data["before_version"] != data["after_version"]


def test_rules_test_text_output(tmp_path: Path) -> None:
    db = _reviewed_db(tmp_path)
    before = _files(db)
    out = _invoke("rules", "test", str(_change(tmp_path)), "--db", str(db))
    assert _files(db) == before
    assert "confirmed flags lost 1, false alarms removed 1" in out
    assert "precision 50.0% -> n/a" in out and "recall against confirmed verdicts 100.0% -> 0.0%" \
        in out
    assert "lost abuse.insult" in out and "new  impatience.hurry_test" in out
    assert out.rstrip().endswith("nothing was written")


def test_an_unchanged_pack_changes_nothing(tmp_path: Path) -> None:
    db = _reviewed_db(tmp_path)
    same = tmp_path / "same"
    same.mkdir()
    from auditor.compliance.rules import BUILTIN_DIR

    (same / "abuse.toml").write_bytes((BUILTIN_DIR / "abuse.toml").read_bytes())
    data = json.loads(_invoke("rules", "test", str(same), "--db", str(db), "--json"))
    assert data["rules"] == [] and data["pass_fail_changes"] == []
    assert data["verdicts"]["before"] == data["verdicts"]["after"]


def test_rules_test_rejects_a_bad_pack(tmp_path: Path) -> None:
    db = _reviewed_db(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.toml").write_text('[[rule]]\nid = "x.y"\ncategory = "nope"\n', "utf-8")
    result = CliRunner().invoke(cli, ["rules", "test", str(bad), "--db", str(db)])
    assert result.exit_code == 1 and "x.toml line 1" in result.output
