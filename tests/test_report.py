"""The morning report: figures from the store, text layout, HTML with inline SVG charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.batch.metadata import CallMeta, parse_time
from auditor.batch.run import save_audited
from auditor.report.build import build_report, histogram
from auditor.report.page import render_html
from auditor.report.text import format_flagged, format_text
from auditor.store.db import Store
from tests.helpers import spec_card

CRITICAL = {"category": "threat", "severity": "critical", "evidence": "后果自负"}
MINOR = {"category": "long_silence", "severity": "minor"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Five calls: two agents over two days, one failed, mixed flags and delivery."""
    s = Store(tmp_path / "r.db")
    calls = [
        (
            "A1",
            "2025-03-01 10:00",
            {"flags": [CRITICAL], "cpm": 300, "agent_s": 30, "customer_s": 10},
        ),
        ("A1", "2025-03-01 11:00", {"flags": [MINOR], "cpm": 250, "agent_s": 20, "customer_s": 20}),
        ("A2", "2025-03-02 09:00", {"cpm": 200, "agent_s": 10, "customer_s": 30}),
        ("A2", "2025-03-02 09:30", {"cpm": 210, "agent_s": 25, "customer_s": 25}),
    ]
    for i, (agent, start, spec) in enumerate(calls):
        meta = CallMeta(file=f"c{i}.wav", call_start=parse_time(start), agent_id=agent)
        save_audited(
            s,
            spec_card(f"/x/c{i}.wav", spec),
            call_id=f"{i:02d}" * 32,
            path=f"/x/c{i}.wav",
            size=1,
            model="m",
            rules_version="r",
            meta=meta,
        )
    failed = {
        **spec_card("/x/bad.wav", {}),
        "status": "failed",
        "error": "cannot decode",
        "utterances": [],
        "flags": [],
        "metrics": {},
    }
    save_audited(
        s, failed, call_id="ff" * 32, path="/x/bad.wav", size=1, model="m", rules_version="r"
    )
    yield s
    s.close()


def test_build_report_figures(store: Store) -> None:
    r = build_report(store)
    t = r["totals"]
    assert (t["calls"], t["ok"], t["failed"], t["passed"]) == (5, 4, 1, 3)
    assert t["pass_rate"] == pytest.approx(0.75)
    cats = {(c["category"], c["severity"]): c["flags"] for c in r["categories"]}
    assert cats == {("threat", "critical"): 1, ("long_silence", "minor"): 1}
    agents = {a["agent"]: a for a in r["agents"]}
    assert agents["A1"]["pass_rate"] == 0.5 and agents["A1"]["critical"] == 1
    assert agents["A1"]["flags"] == 2 and agents["A2"]["flags"] == 0
    assert [a["agent"] for a in r["agents"]] == ["A1", "A2"]  # worst mean score first
    days = {d["day"]: d for d in r["days"]}
    assert days["2025-03-01"]["pass_rate"] == 0.5 and days["2025-03-02"]["pass_rate"] == 1.0
    assert any(d["failed"] == 1 for d in r["days"])  # the failed call counts on its day
    assert sorted(r["speech_rate"].values) == [200, 210, 250, 300]
    assert sorted(r["talk_ratio"].values) == pytest.approx([0.25, 0.5, 0.5, 0.75])
    assert r["speech_rate"].quantiles()["median"] == pytest.approx(230)
    assert r["failures"] == [{"error": "cannot decode", "calls": 1}]


def test_text_report_has_every_section(store: Store) -> None:
    text = format_text(build_report(store))
    assert "passed: 3 of 4 (75%)" in text
    assert re.search(r"A1\s+2\s+1\s+50%", text)
    assert "2025-03-02" in text and "cannot decode" in text
    assert "Agent speech rate (chars/min, 4 calls): min 200" in text
    assert "Agent talk ratio (share of talk, 4 calls)" in text


def test_html_is_self_contained_with_charts(store: Store) -> None:
    page = render_html(build_report(store))
    assert page.count("<svg") == 5  # categories, agents, days, two distributions
    assert "<rect" in page and "threat" in page
    for external in ("<script", "<link", "src=", "href=", "url(", "@import"):
        assert external not in page


def test_empty_database_reports_without_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as s:
        r = build_report(s)
    assert r["totals"]["pass_rate"] is None
    assert "no measurements" in format_text(r)
    assert "nothing to show" in render_html(r)


def test_histogram_and_flagged_listing() -> None:
    bins = histogram([0, 1, 2, 3, 10], n_bins=5)
    assert [c for _, _, c in bins] == [2, 2, 0, 0, 1] and bins[-1][1] == 10
    assert histogram([5, 5]) == [(5, 5, 2)] and histogram([]) == []
    entry = {
        "call_id": "a" * 64,
        "path": "/x.wav",
        "score": 20,
        "passed": 0,
        "agent_id": "A1",
        "day": "2025-03-01",
        "flags": [
            {
                "flag_id": 7,
                "category": "abuse",
                "severity": "critical",
                "start": 61.5,
                "end": 63.0,
                "evidence": "老赖",
                "matched": "老赖",
                "review_status": "confirmed",
            }
        ],
    }
    text = format_flagged([entry])
    assert text.splitlines()[0].startswith(" 20 FAILED  aaaaaaaaaaaaaaaa  /x.wav  agent A1")
    assert "01:01.5-01:03.0" in text and "#7 [confirmed]" in text
    assert text.splitlines()[-1] == (
        "1 calls, 1 flags: 1 reviewed (1 confirmed, 0 false alarms), 0 to review")
    assert format_flagged([]) == "No flagged calls match."


def test_report_counts_reviewed_flags_per_rule(store: Store) -> None:
    """The false-alarm rate per rule tells the QA lead which rule to fix."""
    from auditor.review.verdicts import record_verdict

    text = format_text(build_report(store))
    assert "no flag reviewed yet" in text
    flag_ids = [r["id"] for r in store.db.query("SELECT id FROM flags ORDER BY id")]
    record_verdict(store, flag_ids[0], "false_alarm", reviewer="qa-li", comment="wrong")
    report = build_report(store)
    reviewed = [r for r in report["rules"] if r["false_alarm_rate"] is not None]
    assert len(reviewed) == 1 and reviewed[0]["false_alarms"] == 1
    assert reviewed[0]["false_alarm_rate"] == 1.0
    text = format_text(report)
    assert "False alarms per rule" in text and "100" in text
    assert "False alarms per rule" in render_html(report)
