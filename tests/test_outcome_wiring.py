"""The outcome end to end: analysis and scorecard, `check --metadata`, the batch's enrichment,
the store (migration 4, columns, `flagged --outcome`), payments, the report and the call page."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.batch import enrich
from auditor.batch.metadata import CallMeta
from auditor.batch.payments import (
    BROKEN,
    KEPT,
    PENDING,
    Payment,
    PaymentsError,
    apply_payments,
    load_payments,
    promise_status,
)
from auditor.batch.run import save_audited
from auditor.cli.main import cli
from auditor.core.scorecard import SPEC_FIELDS, failed_scorecard
from auditor.store import queries, schema
from auditor.store.db import Store
from tests.helpers import spec_card, write_call

START = "2026-11-16T10:15:00+08:00"  # a Monday
CALL = [
    {"speaker": "agent", "start": 0.0, "end": 2.0, "text": "您好，请问是王明先生吗？"},
    {"speaker": "customer", "start": 2.5, "end": 3.0, "text": "是我。"},
    {"speaker": "agent", "start": 3.5, "end": 7.0,
     "text": "我是东方银行的贷后专员，您的欠款三千元已经逾期了。"},
    {"speaker": "customer", "start": 7.5, "end": 10.0,
     "text": "你们这些骗子，烦死了，我要投诉你们！"},
    {"speaker": "agent", "start": 10.5, "end": 13.0, "text": "您先别着急，我理解您的心情。"},
    {"speaker": "customer", "start": 13.5, "end": 16.0, "text": "行吧，我下周五还三千元。"},
    {"speaker": "agent", "start": 16.5, "end": 19.0, "text": "好的，感谢您的配合，再见。"},
]


@pytest.fixture(scope="module")
def auditor():
    from auditor.pipeline import Auditor

    return Auditor(load_asr=False)


# ---------------------------------------------------------------- the scorecard


def test_every_card_has_the_outcome_block_in_the_spec_order(auditor) -> None:
    card = auditor.audit_transcript(CALL, "call.json", "stereo", call_start=START)
    assert list(card)[: len(SPEC_FIELDS)] == list(SPEC_FIELDS)
    assert SPEC_FIELDS.index("outcome") == SPEC_FIELDS.index("flags") + 1
    o = card["outcome"]
    assert o["result"] == "promise_to_pay"
    assert o["promise"]["amount"] == 3000.0 and o["promise"]["due"] == "2026-11-27"
    assert o["customer"] == {"emotion": "hostile", "complaint_threat": True, "refusal": False}
    assert failed_scorecard("x.wav", "broken.")["outcome"] is None


def test_the_handling_flag_is_informational_and_deducts_nothing(auditor) -> None:
    card = auditor.audit_transcript(CALL, "call.json", "stereo")
    handling = [f for f in card["flags"] if f["category"] == "info_agent_handling"]
    assert [(f["rule"], f["severity"], f["speaker"]) for f in handling] == [
        ("outcome.handling.calm", "info", "agent")]
    assert handling[0]["start"] == 10.5 and handling[0]["customer_emotion"] == "hostile"
    without = dict(card, flags=[f for f in card["flags"] if f is not handling[0]])
    assert auditor.score(without)["score"] == card["score"]


def test_without_a_start_due_is_null_and_the_words_are_kept(auditor) -> None:
    promise = auditor.audit_transcript(CALL, "call.json", "stereo")["outcome"]["promise"]
    assert promise["due"] is None and promise["due_text"] == "下周五"


# ---------------------------------------------------------------- auditor check --metadata


def _transcript(tmp_path: Path) -> Path:
    path = tmp_path / "wang.json"
    path.write_text(json.dumps({"layout": "stereo", "utterances": CALL}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_check_metadata_matches_the_transcript_by_name_and_dates_the_promise(
        tmp_path: Path) -> None:
    path = _transcript(tmp_path)
    meta = tmp_path / "meta.csv"
    meta.write_text(f"file,call_start,agent_id,debtor_id,campaign\nwang.json,{START},A7,D1,c1\n",
                    encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--transcript", str(path), "--json",
                                   "--metadata", str(meta)])
    card = json.loads(res.stdout)
    assert card["outcome"]["promise"]["due"] == "2026-11-27"
    assert card["metadata"]["agent_id"] == "A7" and card["score"] is not None
    plain = json.loads(CliRunner().invoke(cli, ["check", "--transcript", str(path),
                                                "--json"]).stdout)
    assert plain["outcome"]["promise"]["due"] is None and "metadata" not in plain
    text = CliRunner().invoke(cli, ["check", "--transcript", str(path), "--metadata", str(meta)])
    assert "Outcome: promise_to_pay, 3000 yuan, due 2026-11-27" in text.stdout


def test_check_metadata_without_the_file_warns_and_goes_on(tmp_path: Path) -> None:
    path = _transcript(tmp_path)
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps([{"file": "other.wav", "call_start": START}]), encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--transcript", str(path), "--json",
                                   "--metadata", str(meta)])
    assert "not in" in res.stderr
    assert json.loads(res.stdout)["outcome"]["promise"]["due"] is None


# ---------------------------------------------------------------- the batch


def _worker_card(auditor, call_start: str | None = None) -> dict[str, Any]:
    """What a batch worker hands over: unscored, its outcome dated by the start it was handed."""
    return auditor.audit_transcript(CALL, "/in/wang.wav", "stereo", score=False,
                                    call_start=call_start)


def test_enrichment_dates_the_outcome_with_the_metadata_and_scores_once(
        auditor, monkeypatch: pytest.MonkeyPatch) -> None:
    scored: list[int] = []
    real = enrich.score_card
    monkeypatch.setattr(enrich, "score_card", lambda c, *a: scored.append(1) or real(c, *a))
    meta = CallMeta(file="wang.wav", call_start=datetime.fromisoformat(START), agent_id="A7")
    done = enrich.enrich(_worker_card(auditor, START), call_id="c" * 64, path="/in/wang.wav",
                         meta=meta)
    assert done.card["outcome"]["promise"]["due"] == "2026-11-27"
    assert scored == [1]
    assert sum(f["category"] == "info_agent_handling" for f in done.card["flags"]) == 1
    undated = enrich.enrich(_worker_card(auditor), call_id="c" * 64, path="/in/wang.wav")
    assert undated.card["outcome"]["promise"]["due"] is None


def _save(store: Store, auditor, call_id: str, agent: str, debtor: str,
          utterances: list[dict] = CALL) -> None:
    card = auditor.audit_transcript(utterances, f"/in/{call_id}.wav", "stereo", score=False,
                                    call_start=START)
    meta = CallMeta(file=f"{call_id}.wav", call_start=datetime.fromisoformat(START),
                    agent_id=agent, debtor_id=debtor, campaign="winter")
    save_audited(store, card, call_id=call_id, path=f"/in/{call_id}.wav", size=1, model="m",
                 rules_version="r", meta=meta)


REFUSAL = CALL[:3] + [{"speaker": "customer", "start": 7.5, "end": 9.0,
                       "text": "没钱，我不还。"},
                      {"speaker": "agent", "start": 9.5, "end": 11.0,
                       "text": "好的，感谢您的接听，再见。"}]


def test_the_store_keeps_the_outcome_columns_and_filters_by_result(
        tmp_path: Path, auditor) -> None:
    with Store(tmp_path / "a.db") as store:
        _save(store, auditor, "p1", "A7", "D1")
        _save(store, auditor, "r1", "A8", "D2", REFUSAL)
        row = store.call_row("p1")
        assert (row["result"], row["promise_amount"], row["promise_due"], row["emotion"],
                row["complaint_threat"], row["promise_status"]) == (
            "promise_to_pay", 3000.0, "2026-11-27", "hostile", 1, "pending")
        assert store.call_row("r1")["result"] == "refusal"
        assert store.call_row("r1")["promise_status"] is None
        coaching = {e["call_id"] for e in store.flagged(category="info_agent_handling")}
        assert "p1" in coaching
        assert [e["call_id"] for e in store.flagged(category="info_agent_handling",
                                                     outcome="promise_to_pay")] == ["p1"]
        assert "p1" not in {e["call_id"] for e in store.flagged(category="info_agent_handling",
                                                                 outcome="refusal")}


def test_migration_4_fills_the_outcome_columns_from_stored_scorecards(
        tmp_path: Path, auditor) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        _save(store, auditor, "p1", "A7", "D1")
    with sqlite3.connect(path) as conn:  # as a version-3 store left it: no outcome columns
        for col in ("result", "promise_amount", "promise_due", "emotion", "complaint_threat",
                    "promise_status"):
            conn.execute(f"UPDATE calls SET {col} = NULL")
    import sqlite_utils

    schema._migration_4(sqlite_utils.Database(path))
    with Store(path) as store:
        row = store.call_row("p1")
        assert row["result"] == "promise_to_pay" and row["promise_due"] == "2026-11-27"
        assert row["promise_status"] == "pending"


def test_outcome_columns_of_a_card_without_an_outcome_are_all_null() -> None:
    assert set(queries.outcome_columns(spec_card("a.wav", {})).values()) == {None}


# ---------------------------------------------------------------- payments


PROMISE = {"call_id": "p", "debtor_id": "D1", "amount": 3000.0, "due": "2026-11-27",
           "call_start": START}


@pytest.mark.parametrize(("paid", "today", "status"), [
    ([("D1", "2026-11-20", 3000.0)], date(2026, 11, 21), KEPT),
    ([("D1", "2026-11-20", 1000.0), ("D1", "2026-11-26", 2000.0)], date(2026, 12, 1), KEPT),
    ([("D1", "2026-11-20", 1000.0)], date(2026, 12, 1), BROKEN),
    ([("D1", "2026-11-30", 3000.0)], date(2026, 12, 1), BROKEN),   # paid, but late
    ([("D2", "2026-11-20", 3000.0)], date(2026, 12, 1), BROKEN),   # someone else paid
    ([("D1", "2026-11-01", 3000.0)], date(2026, 12, 1), BROKEN),   # paid before the call
    ([("D1", "2026-11-20", 1000.0)], date(2026, 11, 21), PENDING),  # not due yet
])
def test_a_promise_is_kept_broken_or_pending(paid, today, status) -> None:
    ledger = [Payment(d, date.fromisoformat(p), a) for d, p, a in paid]
    assert promise_status(PROMISE, ledger, today) == status


def test_payments_load_from_csv_and_json_and_bad_lines_are_named(tmp_path: Path) -> None:
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("debtor_id,paid_at,amount\nD1,2026-11-20T09:00:00+08:00,\"3,000\"\n",
                        encoding="utf-8")
    assert load_payments(csv_file) == [Payment("D1", date(2026, 11, 20), 3000.0)]
    json_file = tmp_path / "p.json"
    json_file.write_text(json.dumps([{"debtor_id": "D1", "paid_at": "2026-11-20",
                                      "amount": 50}]), encoding="utf-8")
    assert load_payments(json_file)[0].amount == 50.0
    bad = tmp_path / "bad.csv"
    bad.write_text("debtor_id,paid_at,amount\nD1,2026-11-20,1\nD2,soon,1\n", encoding="utf-8")
    with pytest.raises(PaymentsError, match="bad.csv, line 3: paid_at"):
        load_payments(bad)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("debtor,paid_at\n", encoding="utf-8")
    with pytest.raises(PaymentsError, match="amount, debtor_id"):
        load_payments(nocol)


def test_payments_mark_the_stored_promises_and_the_report_shows_the_kept_rate(
        tmp_path: Path, auditor) -> None:
    db = tmp_path / "a.db"
    with Store(db) as store:
        _save(store, auditor, "p1", "A7", "D1")
        _save(store, auditor, "p2", "A7", "D2")
        _save(store, auditor, "r1", "A8", "D3", REFUSAL)
    ledger = [Payment("D1", date(2026, 11, 20), 3000.0)]
    assert apply_payments(db, ledger, today=date(2026, 12, 1)) == {
        KEPT: 1, BROKEN: 1, PENDING: 0}
    from auditor.report.build import build_report, outcome_table
    from auditor.report.page import render_html
    from auditor.report.text import format_text

    with Store(db) as store:
        assert store.call_row("p1")["promise_status"] == KEPT
        report = build_report(store)
    a7 = next(r for r in report["outcome_agents"] if r["key"] == "A7")
    assert (a7["calls"], a7["promises"], a7["promised"], a7["kept"], a7["broken"]) == (
        2, 2, 6000.0, 1, 1)
    assert a7["kept_rate"] == 0.5 and a7["promise_rate"] == 1.0 and a7["hostile_share"] == 1.0
    assert a7["handled_calm"] == 2 and a7["in_kind"] == 0
    a8 = next(r for r in report["outcome_agents"] if r["key"] == "A8")
    assert a8["promise_rate"] == 0.0 and a8["kept_rate"] is None and a8["rpc_rate"] == 1.0
    headers, rows = outcome_table(report, "campaign")
    assert rows[0][0] == "winter" and rows[0][1] == 3
    text = format_text(report)
    assert "kept rate" in text and "per campaign" in text
    html = render_html(report)
    assert "Kept-promise rate per agent" in html and "Promise rate per agent" in html


def test_run_payments_marks_promises_after_the_batch(tmp_path: Path,
                                                    fake_batch_auditor: Path) -> None:
    inbox = tmp_path / "in"
    outcome = {"result": "promise_to_pay", "customer": {"emotion": "calm"},
               "promise": {"amount": 500.0, "due": "2026-11-20", "due_text": "本周五"}}
    write_call(inbox, "p.wav", outcome=outcome,
               flags=[{"category": "long_silence", "severity": "minor"}])
    meta = tmp_path / "meta.csv"
    meta.write_text("file,call_start,agent_id,debtor_id,campaign\np.wav,,A1,D9,x\n",
                    encoding="utf-8")
    pay = tmp_path / "pay.json"
    pay.write_text(json.dumps([{"debtor_id": "D9", "paid_at": "2026-11-19", "amount": 500}]),
                   encoding="utf-8")
    db = tmp_path / "c.db"
    res = CliRunner().invoke(cli, ["run", str(inbox), "--db", str(db), "--workers", "1",
                                   "--metadata", str(meta), "--payments", str(pay)])
    assert res.exit_code == 0, res.output
    assert "1 kept, 0 broken, 0 pending" in res.stdout
    def flagged(result: str) -> list[dict]:
        res = CliRunner().invoke(cli, ["flagged", "--db", str(db), "--outcome", result,
                                       "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    assert [e["path"].rsplit("/", 1)[-1] for e in flagged("promise_to_pay")] == ["p.wav"]
    assert flagged("refusal") == []
    bad = CliRunner().invoke(cli, ["flagged", "--db", str(db), "--outcome", "maybe"])
    assert bad.exit_code == 2
    report = CliRunner().invoke(cli, ["report", "--db", str(db)])
    assert "A1" in report.stdout and "100%" in report.stdout


# ---------------------------------------------------------------- the call page


def test_the_call_view_carries_the_outcome_and_the_page_has_its_header(
        tmp_path: Path, auditor) -> None:
    from auditor.review.verdicts import call_view

    with Store(tmp_path / "a.db") as store:
        _save(store, auditor, "p1", "A7", "D1")
        view = call_view(store, "p1")
    assert view["outcome"]["result"] == "promise_to_pay" and view["promise_status"] == "pending"
    static = Path(__file__).resolve().parents[1] / "auditor" / "review" / "static"
    html = (static / "call.html").read_text(encoding="utf-8")
    assert html.index('id="outcome"') < html.index('class="player"')
    assert "renderOutcome()" in (static / "call.js").read_text(encoding="utf-8")
