"""`auditor rescore` through CliRunner on a real SQLite database built by the batch (fake
auditor, real rules): flags appear and disappear per rule, verdicts survive on flags raised
again and are reported lost otherwise, idempotent, resumable, and equal to the batch's own
judgement when nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.analysis import rules_version
from auditor.batch.rescore import load_rule_set, rescore
from auditor.batch.run import run_batch, save_audited
from auditor.cli.main import cli
from auditor.pipeline import Auditor
from auditor.store.db import Store
from tests.helpers import db_rows, make_fake, write_call

INSULT = "你这个老赖，欠钱不还还好意思接电话。"
POLITE = "我是东方银行的贷后专员，感谢您的配合，再见。"


def _build(tmp_path: Path) -> Path:
    """A database of three fake calls (one insulting, one polite, one broken) and a fake
    flag that no real rule raises."""
    calls = tmp_path / "calls"
    write_call(calls, "insult.wav", say=INSULT)
    write_call(calls, "polite.wav", say=POLITE,
               flags=[{"category": "threat", "rule": "threat.fake", "start": 5.0, "end": 9.0}])
    (calls / "broken.wav").write_bytes(b"CORRUPT")
    db = tmp_path / "audit.db"
    run_batch([calls], db, workers=1, factory=make_fake)
    return db


def _flags(db: Path) -> list[tuple]:
    return db_rows(db, "SELECT c.path, f.rule, f.start, f.review_status, f.reviewer, f.id "
                       "FROM flags f JOIN calls c ON c.id = f.call_id ORDER BY c.path, f.idx")


def _flag_id(db: Path, name: str, rule: str) -> int:
    rows = [r for r in _flags(db) if r[0].endswith(name) and r[1] == rule]
    assert len(rows) == 1, rows
    return int(rows[0][5])


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_rescore_applies_rules_and_reports_per_rule(tmp_path: Path) -> None:
    db = _build(tmp_path)
    assert not any(r[1] == "abuse.insult" for r in _flags(db))  # the fake raised none
    out = _invoke("rescore", "--db", str(db))
    data = json.loads(_invoke("rescore", "--db", str(db), "--force", "--json"))
    assert "abuse.insult" in out and "threat.fake" in out
    rules = [r for r in _flags(db)]
    assert any(r[0].endswith("insult.wav") and r[1] == "abuse.insult" for r in rules)
    assert not any(r[1] == "threat.fake" for r in rules)
    version = rules_version(load_rule_set())
    assert {r[0] for r in db_rows(db, "SELECT rules_version FROM calls WHERE status = 'ok'")} \
        == {version}
    # the broken call has no transcript: left as it was
    assert db_rows(db, "SELECT status, rules_version FROM calls WHERE path LIKE '%broken.wav'") \
        == [("failed", "rules-1")]
    assert data["changed"] == 0 and data["rules"] == [] and data["not_audited"] == 1
    # the insulting call now fails: its pass/fail change was listed by the first run
    assert "FAIL" in out


def test_second_run_skips_and_forced_run_changes_nothing(tmp_path: Path) -> None:
    db = _build(tmp_path)
    _invoke("rescore", "--db", str(db))
    before = db_rows(db, "SELECT id, scorecard, score, passed, rules_version FROM calls "
                         "ORDER BY id")
    flags_before = _flags(db)
    again = json.loads(_invoke("rescore", "--db", str(db), "--json"))
    assert again["rescored"] == 0 and again["skipped"] == 2
    forced = json.loads(_invoke("rescore", "--db", str(db), "--force", "--json"))
    assert forced["rescored"] == 2 and forced["changed"] == 0
    assert db_rows(db, "SELECT id, scorecard, score, passed, rules_version FROM calls "
                       "ORDER BY id") == before
    assert _flags(db) == flags_before


def test_verdict_survives_a_rescore_that_keeps_its_flag(tmp_path: Path) -> None:
    db = _build(tmp_path)
    _invoke("rescore", "--db", str(db))
    flag_id = _flag_id(db, "insult.wav", "abuse.insult")
    _invoke("review", str(flag_id), "--db", str(db), "--verdict", "confirmed",
            "--reviewer", "ann", "--comment", "clear insult")
    # a new pack: a rule that adds a flag on the same call, the insult rule unchanged
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "extra.toml").write_text(
        '[[rule]]\nid = "impatience.test_money"\ncategory = "impatience"\n'
        'severity = "minor"\nphrases = ["欠钱"]\n', encoding="utf-8")
    out = json.loads(_invoke("rescore", "--db", str(db), "--rules", str(packs), "--json"))
    assert [r["rule"] for r in out["rules"]] == ["impatience.test_money"]
    assert out["rules"][0]["appeared"] == 1 and out["lost_verdicts"] == []
    assert out["kept_verdicts"] == 1
    assert out["flags_changed"] == 1 and out["changed"] == 2  # both carry the new version
    row = [r for r in _flags(db) if r[1] == "abuse.insult"][0]
    assert row[3:] == ("confirmed", "ann", flag_id)  # same row, same verdict
    card = json.loads(_invoke("show", "insult.wav", "--db", str(db), "--json"))
    assert "impatience" in {f["category"] for f in card["flags"]}


def test_verdict_on_a_flag_no_longer_raised_is_reported_lost(tmp_path: Path) -> None:
    db = _build(tmp_path)
    _invoke("rescore", "--db", str(db))
    flag_id = _flag_id(db, "insult.wav", "abuse.insult")
    _invoke("review", str(flag_id), "--db", str(db), "--verdict", "confirmed",
            "--reviewer", "ann")
    packs = tmp_path / "packs"
    packs.mkdir()
    # the insult rule replaced by one that no longer lists the word said
    (packs / "abuse.toml").write_text(
        '[[rule]]\nid = "abuse.insult"\ncategory = "abuse"\nseverity = "critical"\n'
        'phrases = ["王八蛋"]\n', encoding="utf-8")
    text = _invoke("rescore", "--db", str(db), "--rules", str(packs))
    assert "verdicts lost (their flag is no longer raised): 1" in text
    assert "abuse.insult" in text and "confirmed by ann" in text
    assert not any(r[1] == "abuse.insult" for r in _flags(db))


def test_since_limits_the_calls(tmp_path: Path) -> None:
    db = _build(tmp_path)
    out = json.loads(_invoke("rescore", "--db", str(db), "--since", "2999-01-01", "--json"))
    assert out["considered"] == 0
    bad = CliRunner().invoke(cli, ["rescore", "--db", str(db), "--since", "yesterday"])
    assert bad.exit_code == 2 and "not a date" in bad.output


def test_rescore_resumes_after_a_stop(tmp_path: Path) -> None:
    db = _build(tmp_path)

    def stop(call_id: str, changed: bool) -> None:
        raise KeyboardInterrupt

    with Store(db) as store, pytest.raises(KeyboardInterrupt):
        rescore(store, on_call=stop)
    with Store(db) as store:
        rest = rescore(store)
    assert rest.skipped == 1 and rest.rescored == 1


def test_rescore_of_an_unchanged_batch_call_changes_nothing(tmp_path: Path) -> None:
    """The batch's own judgement (real analysis of a transcript) is reproduced exactly."""
    auditor = Auditor(load_asr=False)
    utts = [
        {"speaker": "agent", "start": 0.0, "end": 3.0, "text": "您好，请问是李明先生吗？"},
        {"speaker": "customer", "start": 3.2, "end": 4.0, "text": "是我。"},
        {"speaker": "agent", "start": 4.5, "end": 8.0, "text": INSULT},
        {"speaker": "agent", "start": 8.5, "end": 10.0, "text": "再见。"},
    ]
    card = auditor.audit_transcript(utts, "t.json", layout="stereo", score=False)
    db = tmp_path / "t.db"
    with Store(db) as store:
        save_audited(store, card, call_id="c" * 64, path="t.json", size=1, model="m",
                     rules_version="old")
        before = store.card("c" * 64)
        summary = rescore(store)
        after = store.card("c" * 64)
    assert summary.rescored == 1 and summary.diff.rules() == []
    assert after == {**before, "rules_version": auditor.rules_version}


def _transcript_card(text: str) -> dict:
    utts = [
        {"speaker": "agent", "start": 0.0, "end": 3.0, "text": "您好，请问是李明先生吗？"},
        {"speaker": "customer", "start": 3.2, "end": 4.0, "text": "是我。"},
        {"speaker": "agent", "start": 4.5, "end": 8.0, "text": text},
    ]
    return Auditor(load_asr=False).audit_transcript(utts, "t.json", layout="stereo", score=False)


def test_redacted_call_keeps_its_number_flags(tmp_path: Path) -> None:
    """The stored text of a redacted call is masked: its personal-number flags stay."""
    card = _transcript_card("您登记的手机号是13912345678对吧")
    assert "pii.mobile" in {f["rule"] for f in card["flags"]}
    with Store(tmp_path / "r.db") as store:
        stored = save_audited(store, card, call_id="d" * 64, path="t.json", size=1, model="m",
                              rules_version="old", redact=True)
        assert "13912345678" not in json.dumps(stored, ensure_ascii=False)
        summary = rescore(store)
        after = store.card("d" * 64)
    assert summary.diff.rules() == []
    assert [f["rule"] for f in after["flags"]] == [f["rule"] for f in stored["flags"]]


def test_outcome_block_is_derived_again_when_the_card_has_one(tmp_path: Path) -> None:
    card = _transcript_card("您这笔欠款今天能还上吗？")
    card["outcome"] = {"result": "stale"}
    with Store(tmp_path / "o.db") as store:
        save_audited(store, card, call_id="e" * 64, path="t.json", size=1, model="m",
                     rules_version="old")
        rescore(store)
        after = store.card("e" * 64)
    assert after["outcome"]["result"] != "stale" and "customer" in after["outcome"]


def test_a_call_rewritten_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    from auditor.store.db import CardChanged

    card = _transcript_card(INSULT)
    with Store(tmp_path / "c.db") as store:
        save_audited(store, card, call_id="f" * 64, path="t.json", size=1, model="m",
                     rules_version="old")
        with pytest.raises(CardChanged):
            store.save_rescored("f" * 64, card, "new", expected="{}")
        assert store.call_row("f" * 64)["rules_version"] == "old"


def test_metadata_flags_and_per_day_rule_survive_a_rescore(tmp_path: Path) -> None:
    """Call-hours and per-debtor-per-day flags are derived again from the stored metadata."""
    inbox = tmp_path / "in"
    rows = ["file,call_start,agent_id,debtor_id,campaign,connected"]
    for i, clock in enumerate(["09:00", "10:00", "11:00", "23:30"]):
        write_call(inbox, f"d1_{i}.wav", say=POLITE)
        rows.append(f"d1_{i}.wav,2025-03-01 {clock},A1,D1,spring,")
    meta = tmp_path / "meta.csv"
    meta.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "m.db"
    run_batch([inbox], db, workers=1, factory=make_fake, metadata=meta)
    _invoke("rescore", "--db", str(db))
    flags = {(Path(r[0]).name, r[1]) for r in _flags(db)}
    assert ("d1_3.wav", "call_hours.quiet_hours") in flags
    assert any(n == "d1_3.wav" and rule.startswith("call_frequency") for n, rule in flags)
    card = json.loads(_invoke("show", "d1_3.wav", "--db", str(db), "--json"))
    assert card["metadata"]["agent_id"] == "A1" and card["rules_version"] == \
        rules_version(load_rule_set())
    forced = json.loads(_invoke("rescore", "--db", str(db), "--force", "--json"))
    assert forced["changed"] == 0 and forced["rules"] == []
    assert db_rows(db, "SELECT COUNT(*) FROM calls WHERE call_date = '2025-03-01'")[0][0] == 4
    since = json.loads(_invoke("rescore", "--db", str(db), "--force", "--since", "2025-03-02",
                               "--json"))
    assert since["considered"] == 0


def test_workers_judge_in_processes_with_the_same_result(tmp_path: Path) -> None:
    one = _build(tmp_path / "one")
    two = _build(tmp_path / "two")
    a = json.loads(_invoke("rescore", "--db", str(one), "--json").replace(str(one.parent), ""))
    b = json.loads(_invoke("rescore", "--db", str(two), "--workers", "2", "--json")
                   .replace(str(two.parent), ""))
    assert {k: v for k, v in a.items() if k != "wall_s"} == \
        {k: v for k, v in b.items() if k != "wall_s"}
    query = "SELECT path, rule, start, review_status FROM flags f JOIN calls c ON c.id = f.call_id"
    names = [sorted((Path(r[0]).name, *r[1:]) for r in db_rows(db, query)) for db in (one, two)]
    assert names[0] == names[1] and names[0]


def test_informational_rule_flags_are_derived_again_not_doubled(tmp_path: Path) -> None:
    utts = [
        {"speaker": "agent", "start": 0.0, "end": 3.0, "text": "您好，请问是李明先生吗？"},
        {"speaker": "customer", "start": 3.2, "end": 5.0, "text": "你们这帮骗子，王八蛋！"},
        {"speaker": "agent", "start": 5.5, "end": 8.0, "text": "您别激动，感谢接听，再见。"},
    ]
    card = Auditor(load_asr=False).audit_transcript(utts, "t.json", layout="stereo", score=False)
    info = [f["rule"] for f in card["flags"] if f["category"].startswith("info_")]
    assert info, card["flags"]
    with Store(tmp_path / "i.db") as store:
        stored = save_audited(store, card, call_id="a" * 64, path="t.json", size=1, model="m",
                              rules_version="old")
        summary = rescore(store)
        after = store.card("a" * 64)
    assert summary.diff.rules() == []
    assert [f["rule"] for f in after["flags"]] == [f["rule"] for f in stored["flags"]]
