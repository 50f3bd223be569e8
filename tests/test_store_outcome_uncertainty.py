"""The outcome's uncertainty (a promise resting on low-confidence text) is stored (migration 8),
shown by `auditor check`, `show`, `flagged` and the review page, and counted apart by the report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.batch.metadata import CallMeta
from auditor.batch.run import save_audited
from auditor.cli.main import cli
from auditor.outcome import extract_outcome
from auditor.report.build import build_report
from auditor.report.text import format_outcome
from auditor.review.verdicts import call_view
from auditor.store import queries, schema
from auditor.store.db import Store

START = "2026-11-16T10:15:00+08:00"
# no greeting: the call is flagged (missing_greeting), so `flagged` lists it
CALL = [
    {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "请问是王明先生吗？"},
    {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "是我。"},
    {"speaker": "agent", "start": 3.5, "end": 7.0,
     "text": "我是东方银行的贷后专员，您的欠款三千元已经逾期了。"},
    {"speaker": "customer", "start": 7.5, "end": 10.0,
     "text": "你们这些骗子，烦死了，我要投诉你们！"},
    {"speaker": "customer", "start": 13.5, "end": 16.0, "text": "行吧，我下周五还三千元。"},
    {"speaker": "agent", "start": 16.5, "end": 19.0, "text": "好的，感谢您的配合，再见。"},
]
PROMISE_LINE = 4


@pytest.fixture(scope="module")
def auditor():
    from auditor.pipeline import Auditor

    return Auditor(load_asr=False)


def _card(auditor, call_id: str, promise_confidence: float) -> dict[str, Any]:
    """A worker's card whose promise line came back from the recogniser with this confidence
    (a transcript carries none, so the outcome is extracted from the lines with it)."""
    card = auditor.audit_transcript(CALL, f"/in/{call_id}.wav", "stereo", score=False,
                                    call_start=START)
    heard = [dict(u) for u in card["utterances"]]
    for u in heard:
        u["confidence"] = 0.95
    heard[PROMISE_LINE]["confidence"] = promise_confidence
    card["utterances"] = heard
    card["outcome"] = extract_outcome(heard, START)
    return card


def _save(store: Store, auditor, call_id: str, confidence: float, agent: str = "A7") -> None:
    meta = CallMeta(file=f"{call_id}.wav", call_start=datetime.fromisoformat(START),
                    agent_id=agent, debtor_id=f"D-{call_id}", campaign="winter")
    save_audited(store, _card(auditor, call_id, confidence), call_id=call_id,
                 path=f"/in/{call_id}.wav", size=1, model="m", rules_version="r", meta=meta)


@pytest.fixture
def db(tmp_path: Path, auditor) -> Path:
    path = tmp_path / "a.db"
    with Store(path) as store:
        _save(store, auditor, "sure", 0.95)
        _save(store, auditor, "unsure", 0.2)
    return path


def test_the_cards_differ_only_in_the_promise_certainty(auditor) -> None:
    sure, unsure = _card(auditor, "s", 0.95)["outcome"], _card(auditor, "u", 0.2)["outcome"]
    assert sure["result"] == unsure["result"] == "promise_to_pay"
    assert not sure["uncertain"] and unsure["uncertain"]
    assert "low_confidence_text" in unsure["promise"]["uncertain_reasons"]


def test_the_store_keeps_the_outcome_uncertainty_columns(db: Path) -> None:
    with Store(db) as store:
        sure, unsure = store.call_row("sure"), store.call_row("unsure")
    assert (sure["outcome_uncertain"], sure["promise_confidence"], sure["uncertain_reasons"]) \
        == (0, 0.95, None)
    assert unsure["outcome_uncertain"] == 1 and unsure["promise_confidence"] == 0.2
    assert "low_confidence_text" in unsure["uncertain_reasons"].split(",")


def test_migration_8_fills_the_uncertainty_of_stored_scorecards(db: Path) -> None:
    with Store(db) as store:
        store.db.execute("UPDATE calls SET outcome_uncertain = NULL, promise_confidence = NULL, "
                         "uncertain_reasons = NULL")
        store.db.execute("DELETE FROM schema_version WHERE version = 8")
        store.db.conn.commit()
    with Store(db) as store:  # opening applies the missing migration again
        assert store.schema_version == schema.SCHEMA_VERSION
        unsure = store.call_row("unsure")
        assert store.call_row("sure")["outcome_uncertain"] == 0
    assert unsure["outcome_uncertain"] == 1 and unsure["promise_confidence"] == 0.2


def test_a_card_without_an_outcome_has_null_uncertainty_columns() -> None:
    cols = queries.outcome_columns({"status": "ok"})
    assert {k: cols[k] for k in ("outcome_uncertain", "promise_confidence",
                                 "uncertain_reasons")} == dict.fromkeys(
        ("outcome_uncertain", "promise_confidence", "uncertain_reasons"))


def test_flagged_shows_which_promise_is_uncertain(db: Path) -> None:
    out = CliRunner().invoke(cli, ["flagged", "--db", str(db)])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    head = {i: ln for i, ln in enumerate(lines) if "/in/" in ln}
    outcome = {head[i].split("/in/")[1].split(".wav")[0]: lines[i + 1] for i in head}
    assert outcome["unsure"].strip().startswith("outcome ?promise_to_pay")
    assert "[uncertain: low-confidence text, confidence 0.20]" in outcome["unsure"]
    assert outcome["sure"].strip().startswith("outcome  promise_to_pay")
    assert "uncertain" not in outcome["sure"]
    assert "1 uncertain promise" in lines[-1]
    data = json.loads(CliRunner().invoke(cli, ["flagged", "--db", str(db), "--json"]).stdout)
    by_id = {e["call_id"]: e for e in data}
    assert by_id["unsure"]["outcome_uncertain"] is True
    assert by_id["sure"]["outcome_uncertain"] is False
    assert by_id["unsure"]["promise_confidence"] == 0.2


def test_show_and_the_outcome_line_say_uncertain_with_the_evidence(db: Path, auditor) -> None:
    out = CliRunner().invoke(cli, ["show", "unsure", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "? promise uncertain: low-confidence text, confidence 0.20" in out.stdout
    assert "Evidence: " in out.stdout and "complaint_threat" in out.stdout
    sure = format_outcome(_card(auditor, "s", 0.95))
    assert "uncertain" not in sure and sure.startswith("Outcome: promise_to_pay, 3000 yuan")


def test_check_prints_the_promise_uncertainty(tmp_path: Path, auditor,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.pipeline import Auditor

    transcript = tmp_path / "call.json"
    transcript.write_text(json.dumps(CALL, ensure_ascii=False), encoding="utf-8")
    # a transcript carries no confidence: stand in for the recogniser's low-confidence line
    heard = _card(auditor, "c", 0.2)
    monkeypatch.setattr(Auditor, "audit_transcript", lambda self, *a, **kw: dict(heard))
    out = CliRunner().invoke(cli, ["check", "--transcript", str(transcript)])
    assert out.exit_code == 0, out.output
    assert "? promise uncertain: low-confidence text, confidence 0.20" in out.stdout
    as_json = CliRunner().invoke(cli, ["check", "--transcript", "--json", str(transcript)])
    assert json.loads(as_json.stdout)["outcome"]["uncertain"] is True


def test_the_report_counts_certain_and_uncertain_promises_apart(db: Path, tmp_path: Path,
                                                                auditor) -> None:
    with Store(db) as store:
        _save(store, auditor, "unsure2", 0.3, agent="A8")
        report = build_report(store)
    by_agent = {r["key"]: r for r in report["outcome_agents"]}
    assert (by_agent["A7"]["certain_promises"], by_agent["A7"]["uncertain_promises"]) == (1, 1)
    assert (by_agent["A8"]["certain_promises"], by_agent["A8"]["uncertain_promises"]) == (0, 1)
    assert by_agent["A7"]["promises"] == 2
    (campaign,) = report["outcome_campaigns"]
    assert (campaign["certain_promises"], campaign["uncertain_promises"]) == (1, 2)
    html = tmp_path / "r.html"
    out = CliRunner().invoke(cli, ["report", "--db", str(db), "--html", str(html)])
    assert out.exit_code == 0, out.output
    assert "promises: certain" in out.stdout and "promises: uncertain" in out.stdout
    assert "promises: uncertain" in html.read_text(encoding="utf-8")


def test_the_call_page_says_uncertain_on_the_outcome(db: Path) -> None:
    with Store(db) as store:
        unsure, sure = call_view(store, "unsure"), call_view(store, "sure")
    assert unsure["outcome_note"] == "uncertain: low-confidence text, confidence 0.20"
    assert sure["outcome_note"] is None
    assert unsure["outcome"]["uncertain"] is True and unsure["outcome"]["evidence"]
    static = Path(__file__).resolve().parents[1] / "auditor" / "review" / "static"
    js = (static / "call.js").read_text(encoding="utf-8")
    assert "call.outcome_note" in js and "outcome-evidence" in js


def test_a_rescore_keeps_the_uncertainty_columns_in_step_with_the_card(db: Path) -> None:
    from auditor.batch.rescore import rescore

    with Store(db) as store:
        store.db.execute("UPDATE calls SET outcome_uncertain = NULL, promise_confidence = NULL")
        store.db.conn.commit()
        rescore(store, force=True)
        rows = {i: store.call_row(i) for i in ("sure", "unsure")}
        cards = {i: store.card(i) for i in ("sure", "unsure")}
    for call_id, row in rows.items():
        promise = cards[call_id]["outcome"]["promise"]
        assert row["outcome_uncertain"] == int(cards[call_id]["outcome"]["uncertain"])
        assert row["promise_confidence"] == promise["confidence"]
    assert rows["unsure"]["outcome_uncertain"] == 1 and rows["sure"]["outcome_uncertain"] == 0
