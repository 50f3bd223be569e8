"""Confidence and uncertainty as QA sees them: `auditor show` / `check`'s card, `auditor flagged`,
the review queue's order and the call page's data.

A flag is *uncertain* when its evidence rests on low-confidence text or an unsettled speaker
(scorecard spec); the views mark it, and the queue lists it after certain ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.batch.run import save_audited
from auditor.cli.card import UNSURE, line_marks, render_card
from auditor.cli.main import cli
from auditor.compliance.evidence import default_evidence
from auditor.review import verdicts as review
from auditor.store.db import SCHEMA_VERSION, Store

LOW = 0.2  # below any sensible [confidence] low threshold
HIGH = 0.95


def _card(path: str, flags: list[dict[str, Any]], layout: str = "stereo") -> dict[str, Any]:
    mono = layout == "mono"
    utterances: list[dict[str, Any]] = [
        {"speaker": "agent", "start": 0.5, "end": 3.0, "text": "您好，请问是李明先生吗？",
         "confidence": HIGH},
        {"speaker": "customer", "start": 3.5, "end": 4.0, "text": "是。", "confidence": LOW},
        {"speaker": "agent", "start": 5.0, "end": 9.0, "text": "你就是个老赖"},  # no confidence
    ]
    if mono:
        for u, p in zip(utterances, (0.97, 0.08, 0.55), strict=True):
            u["agent_posterior"] = p
    card = {
        "file": path, "status": "ok", "error": None, "duration_s": 30.0,
        "channels": 1 if mono else 2, "layout": layout,
        "asr": {"model": "fake", "language": "zh", "speech_s": 8.0, "coverage": 1.0},
        "utterances": utterances,
        "metrics": {"agent": {"speech_rate_cpm": 230.0}, "customer": {"speech_rate_cpm": 190.0}},
        "steps": {"greeting": True},
        "flags": flags, "score": None, "passed": None,
    }
    if mono:
        card["attribution_confidence"] = 0.37
    return card


def _flag(category: str, severity: str, start: float, uncertain: bool) -> dict[str, Any]:
    f = {"category": category, "rule": f"{category}.t", "severity": severity, "speaker": "agent",
         "start": start, "end": start + 1.0, "evidence": f"{category} 证据", "matched": "证据",
         "uncertain": uncertain}
    if uncertain:
        f["uncertain_reasons"] = ["low_confidence_text"]
    return f


# call A: worst score, but every flag uncertain; call B: a mild certain flag and an uncertain one
A_FLAGS = [_flag("abuse", "critical", 5.0, True), _flag("threat", "critical", 6.0, True)]
B_FLAGS = [_flag("impatience", "major", 7.0, True), _flag("impatience", "minor", 8.0, False)]
A_ID, B_ID = "aa" * 32, "bb" * 32


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "calls.db"
    with Store(path) as store:
        save_audited(store, _card("/rec/a.wav", A_FLAGS, "mono"), call_id=A_ID,
                     path="/rec/a.wav", size=1, model="m", rules_version="r")
        save_audited(store, _card("/rec/b.wav", B_FLAGS), call_id=B_ID, path="/rec/b.wav",
                     size=1, model="m", rules_version="r")
    return path


# ---------------------------------------------------------------- the card


def test_low_confidence_lines_and_mono_posteriors_are_marked_on_the_card() -> None:
    text = render_card(_card("a.wav", [], "mono"))
    lines = [ln for ln in text.splitlines() if ln.startswith("[")]
    assert "confidence" not in lines[0] and "P(agent) 0.97" in lines[0]
    assert f"({UNSURE} confidence {LOW:.2f} · P(agent) 0.08)" in lines[1]
    # a line without a confidence (a transcript) is not marked low; its posterior is unsettled
    assert "confidence" not in lines[2] and "P(agent) 0.55 · speaker unsettled" in lines[2]
    assert "attribution confidence 0.37" in text.splitlines()[0]
    low = default_evidence().low_confidence
    assert f"1 line below confidence {low:.2f}" in text


def test_a_stereo_card_without_confidence_has_no_marks() -> None:
    card = _card("a.wav", [])
    for u in card["utterances"]:
        u.pop("confidence", None)
    text = render_card(card)
    assert UNSURE not in text and "P(agent)" not in text
    assert all(line_marks(u) == "" for u in card["utterances"])


def test_uncertain_flags_are_marked_with_their_reasons() -> None:
    text = render_card(_card("a.wav", B_FLAGS))
    assert "Flags (2, 1 uncertain: listen before believing):" in text
    flag_lines = [ln for ln in text.splitlines() if "impatience" in ln]
    unsure = [ln for ln in flag_lines if ln.lstrip().startswith(UNSURE)]
    assert len(unsure) == 1 and "[uncertain: low_confidence_text]" in unsure[0]
    assert "major" in unsure[0]
    sure = [ln for ln in flag_lines if ln not in unsure]
    assert len(sure) == 1 and "uncertain" not in sure[0] and "minor" in sure[0]


def test_show_prints_the_marks_from_the_store(db: Path) -> None:
    res = CliRunner().invoke(cli, ["show", A_ID[:12], "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "attribution confidence 0.37" in res.stdout
    assert f"{UNSURE} confidence {LOW:.2f}" in res.stdout
    assert "Flags (2, 2 uncertain" in res.stdout


# ---------------------------------------------------------------- auditor flagged and the queue


def test_calls_with_only_uncertain_flags_come_after_certain_ones(db: Path) -> None:
    with Store(db) as store:
        entries = store.flagged()
    scores = {e["call_id"]: e["score"] for e in entries}
    assert scores[A_ID] < scores[B_ID]  # worst-first alone would list A first
    assert [e["call_id"] for e in entries] == [B_ID, A_ID]
    b_flags = entries[0]["flags"]
    assert [(f["severity"], f["uncertain"]) for f in b_flags] == [("minor", False),
                                                                 ("major", True)]
    assert all(f["uncertain"] is True for f in entries[1]["flags"])


def test_flagged_marks_uncertain_flags_and_filters_on_certainty(db: Path) -> None:
    run = CliRunner().invoke
    res = run(cli, ["flagged", "--db", str(db)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split()[2] == B_ID[:16]  # the call with a certain flag first
    unsure = [ln for ln in lines if "[uncertain]" in ln]
    assert len(unsure) == 3 and all(f" {UNSURE}" in ln for ln in unsure)
    assert "3 uncertain" in lines[-1]

    certain = json.loads(run(cli, ["flagged", "--db", str(db), "--certain-only", "--json"]).stdout)
    assert [e["call_id"] for e in certain] == [B_ID]
    assert [f["uncertain"] for f in certain[0]["flags"]] == [False]

    only = json.loads(run(cli, ["flagged", "--db", str(db), "--uncertain", "--json"]).stdout)
    assert {e["call_id"] for e in only} == {A_ID, B_ID}
    assert all(f["uncertain"] for e in only for f in e["flags"])


def test_the_review_queue_ranks_and_filters_by_certainty(db: Path) -> None:
    with Store(db) as store:
        data = review.queue(store)
        assert [c["call_id"] for c in data["calls"]] == [B_ID, A_ID]
        assert [f["uncertain"] for f in data["calls"][0]["flags"]] == [False, True]
        certain = review.queue(store, review.QueueFilter.from_query({"certainty": "certain"}))
        assert [c["call_id"] for c in certain["calls"]] == [B_ID]
        assert data["filter"]["certainty"] == "all"
        assert review.facets(store)["certainty"] == ["all", "certain", "uncertain"]
    with pytest.raises(review.ReviewError):
        review.QueueFilter.from_query({"certainty": "maybe"})


def test_the_call_page_data_carries_trust_per_line(db: Path) -> None:
    with Store(db) as store:
        view = review.call_view(store, A_ID)
    assert view["attribution_confidence"] == 0.37
    marks = [(u["low_confidence"], u["speaker_unsettled"]) for u in view["utterances"]]
    assert marks == [(False, False), (True, False), (False, True)]
    assert all(f["uncertain"] for f in view["flags"])
    assert view["flags"][0]["uncertain_reasons"] == ["low_confidence_text"]


# ---------------------------------------------------------------- the schema


def test_migration_7_adds_uncertain_and_fills_it_from_the_stored_scorecards(db: Path) -> None:
    with Store(db) as store:
        store.db.execute("DROP INDEX IF EXISTS idx_flags_uncertain")
        store.db.execute("ALTER TABLE flags DROP COLUMN uncertain")
        store.db.execute("DELETE FROM schema_version WHERE version >= 7")
        store.db.conn.commit()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION >= 7
        rows = list(store.db.query(
            "SELECT call_id, idx, uncertain FROM flags ORDER BY call_id, idx"))
    assert [(r["call_id"], r["idx"], r["uncertain"]) for r in rows] == [
        (A_ID, 0, 1), (A_ID, 1, 1), (B_ID, 0, 1), (B_ID, 1, 0)]
