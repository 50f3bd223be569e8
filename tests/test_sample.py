"""Spot checks and missed violations: `auditor sample`, `auditor review --missed/--checked`,
the queue's spot checks and the report's recall per category, on a real SQLite database."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.report.build import build_report
from auditor.report.recall import recall_report, wilson
from auditor.review import verdicts as review
from auditor.store.db import Store

AGENTS = ("A01", "A02", "A03", "A04")
DAYS = ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06")
THREAT = {"category": "threat", "rule": "threat.violence", "severity": "critical",
          "speaker": "agent", "start": 5.0, "end": 8.0, "evidence": "小心点", "matched": "小心"}


def card(flags: list[dict[str, Any]]) -> dict[str, Any]:
    """A scorecard in the spec's shape; its verdict follows its flags."""
    return {
        "file": "x.wav", "status": "ok", "error": None, "duration_s": 60.0, "channels": 2,
        "layout": "stereo", "asr": {"model": "fake"},
        "utterances": [{"speaker": "agent", "start": 0.5, "end": 3.0, "text": "您好"}],
        "metrics": {}, "steps": {}, "flags": flags,
        "score": 60 if flags else 100, "passed": not flags,
    }


def cid(i: int) -> str:
    return hashlib.sha256(f"call {i}".encode()).hexdigest()


def build_db(path: Path, per_stratum: int = 10, flagged: int = 20) -> dict[str, list[str]]:
    """Unflagged calls, ``per_stratum`` per agent and day, and ``flagged`` calls with a threat."""
    ids: dict[str, list[str]] = {"unflagged": [], "flagged": []}
    with Store(path) as store:
        i = 0
        for agent in AGENTS:
            for day in DAYS:
                for _ in range(per_stratum):
                    i += 1
                    store.save_call(card([]), call_id=cid(i), path=f"/rec/{i}.wav", size=1,
                                    model="m", rules_version="r",
                                    columns={"agent_id": agent, "call_date": day})
                    ids["unflagged"].append(cid(i))
        for _ in range(flagged):
            i += 1
            store.save_call(card([THREAT]), call_id=cid(i), path=f"/rec/{i}.wav", size=1,
                            model="m", rules_version="r",
                            columns={"agent_id": AGENTS[i % 4], "call_date": DAYS[i % 5]})
            ids["flagged"].append(cid(i))
    return ids


def spot_rows(db: Path) -> list[dict[str, Any]]:
    with Store(db) as store:
        return list(store.db.query(
            "SELECT s.*, c.agent_id, c.call_date FROM spot_checks s JOIN calls c "
            "ON c.id = s.call_id ORDER BY s.call_id"))


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    return result


def test_sample_draws_the_rate_from_unflagged_calls_in_every_agent_and_day(tmp_path: Path):
    db = tmp_path / "calls.db"
    ids = build_db(db)
    result = run("sample", "--db", str(db), "--rate", "0.1", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "200 unflagged call(s) not sampled yet in 20 agent-day strata; drew 20" in result.output
    rows = spot_rows(db)
    assert len(rows) == 20
    assert {r["call_id"] for r in rows} <= set(ids["unflagged"])  # never a flagged call
    # Proportional allocation: 10 calls x 0.1 = exactly one per agent and day.
    assert sorted((r["agent_id"], r["call_date"]) for r in rows) == sorted(
        (a, d) for a in AGENTS for d in DAYS)
    assert all(r["rate"] == 0.1 and r["seed"] == 7 and r["checked_at"] is None for r in rows)
    # The same seed on the same database draws the same calls.
    other = tmp_path / "copy.db"
    build_db(other)
    assert run("sample", "--db", str(other), "--rate", "0.1", "--seed", "7").exit_code == 0
    assert [r["call_id"] for r in spot_rows(other)] == [r["call_id"] for r in rows]
    # A second draw leaves the calls already sampled out.
    result = run("sample", "--db", str(db), "--rate", "0.1", "--seed", "8", "--json")
    assert result.exit_code == 0, result.output
    second = json.loads(result.output)
    assert second["population"] == 180 and len(second["sampled"]) == 18
    assert not {p["call_id"] for p in second["sampled"]} & {r["call_id"] for r in rows}
    assert len(spot_rows(db)) == 38


def test_sample_since_a_day_and_uneven_strata(tmp_path: Path):
    db = tmp_path / "calls.db"
    build_db(db, per_stratum=3)
    result = run("sample", "--db", str(db), "--rate", "0.02", "--since", "2026-11-05")
    assert result.exit_code == 0, result.output
    rows = spot_rows(db)
    # 4 agents x 2 days x 3 calls = 24 calls; ceil(0.02 x 24) = 1 call, at least one always.
    assert len(rows) == 1 and rows[0]["call_date"] >= "2026-11-05"
    assert run("sample", "--db", str(db), "--since", "5 Nov").exit_code == 2
    assert run("sample", "--db", str(db), "--rate", "0").exit_code == 2
    assert run("sample", "--db", str(tmp_path / "none.db")).exit_code == 1


def test_spot_checks_are_in_the_queue_marked_and_filterable(tmp_path: Path):
    db = tmp_path / "calls.db"
    ids = build_db(db, per_stratum=1, flagged=3)
    assert run("sample", "--db", str(db), "--rate", "0.1", "--seed", "1").exit_code == 0
    spots = [r["call_id"] for r in spot_rows(db)]
    assert len(spots) == 2
    with Store(db) as store:
        data = review.queue(store)
        listed = [c["call_id"] for c in data["calls"]]
        assert set(listed[:3]) == set(ids["flagged"])  # flagged calls first
        assert set(listed[3:]) == set(spots)
        spot = data["calls"][3]
        assert spot["flags"] == [] and spot["spot_check"]["checked_at"] is None
        assert data["spot_checks_open"] == 2
        assert "spot_check" not in data["calls"][0]
        # Spot checks have no flags: a category filter leaves them out; review state maps.
        assert all("spot_check" not in c for c in review.queue(
            store, review.QueueFilter(category="threat"))["calls"])
        review.check_spot(store, spots[0], "qa-li")
        open_ = review.queue(store, review.QueueFilter(state="unreviewed"))
        assert [c["call_id"] for c in open_["calls"] if "spot_check" in c] == [spots[1]]
        done = review.queue(store, review.QueueFilter(state="reviewed"))
        assert [c["call_id"] for c in done["calls"] if "spot_check" in c] == [spots[0]]
        assert done["spot_checks_open"] == 1
        assert store.flagged() and all(c["call_id"] not in spots for c in store.flagged())


def test_review_marks_a_missed_violation_on_any_call_and_closes_a_spot_check(tmp_path: Path):
    db = tmp_path / "calls.db"
    ids = build_db(db, per_stratum=1, flagged=2)
    assert run("sample", "--db", str(db), "--rate", "0.05", "--seed", "3").exit_code == 0
    spot = spot_rows(db)[0]["call_id"]
    result = run("review", "--call", spot[:12], "--missed", "threat", "--at", "00:41.5",
                 "--comment", "小心点 said twice", "--reviewer", "qa-li", "--checked",
                 "--db", str(db))
    assert result.exit_code == 0, result.output
    assert f"missed threat at 00:41.5 marked on call {spot[:12]} by qa-li" in result.output
    assert f"spot check of call {spot[:12]} done by qa-li" in result.output
    # A flagged call takes a missed mark too (another category than its flag).
    flagged = ids["flagged"][0]
    result = run("review", "--call", flagged, "--missed", "abuse", "--reviewer", "qa-wang",
                 "--db", str(db))
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        marks = store.missed(spot)
        assert [(m["category"], m["at_s"], m["comment"], m["reviewer"]) for m in marks] == [
            ("threat", 41.5, "小心点 said twice", "qa-li")]
        assert store.spot_check(spot)["checked_by"] == "qa-li"
        assert [m["category"] for m in store.missed(flagged)] == ["abuse"]
        view = review.call_view(store, spot)
        assert view["missed"][0]["category"] == "threat" and view["spot_check"]["checked_at"]
        assert "threat" in view["categories"]
    refused = [
        (["--call", spot, "--missed", "threat", "--at", "05:00", "--reviewer", "x"],
         "past its end"),
        (["--call", spot, "--missed", "threat", "--at", "soon", "--reviewer", "x"], "mm:ss"),
        (["--call", spot, "--missed", "threat"], "reviewer"),
        (["--call", flagged, "--checked", "--reviewer", "x"], "not a spot check"),
        (["--call", "zzzz", "--missed", "threat", "--reviewer", "x"], "no call matches"),
    ]
    for args, message in refused:
        result = run("review", *args, "--db", str(db))
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    for args in (["--call", spot, "--missed", "rudeness", "--reviewer", "x"], ["--call", spot],
                 ["1"], ["1", "--verdict", "confirmed", "--call", spot]):
        assert run("review", *args, "--db", str(db)).exit_code == 2, args
    with Store(db) as store:
        assert len(store.missed(spot)) == 1


@pytest.mark.parametrize("text, seconds", [("83.5", 83.5), ("1:23.5", 83.5), ("01:02:03", 3723.0),
                                           ("", None), (12, 12.0)])
def test_parse_time(text: Any, seconds: float | None) -> None:
    assert review.parse_time(text) == seconds


def test_wilson_interval_matches_published_values() -> None:
    # Wilson 95% intervals as tabulated (Newcombe 1998, method 3): 0/10, 1/10, 2/10.
    for k, n, lo, hi in ((0, 10, 0.0, 0.2775), (1, 10, 0.0179, 0.4042), (2, 10, 0.0567, 0.5098),
                         (81, 263, 0.2553, 0.3662)):
        got = wilson(k, n)
        assert got is not None
        assert got[0] == pytest.approx(lo, abs=6e-4) and got[1] == pytest.approx(hi, abs=6e-4)
    assert wilson(0, 0) is None


def test_report_estimates_recall_per_category_from_spot_checks(tmp_path: Path):
    db = tmp_path / "calls.db"
    ids = build_db(db, per_stratum=5, flagged=8)  # 100 unflagged calls, 8 with a threat flag
    with Store(db) as store:
        flags = [r["id"] for r in store.db.query(
            "SELECT id FROM flags ORDER BY call_id")]
        for fid in flags[:6]:
            review.record_verdict(store, fid, "confirmed", "qa")
        review.record_verdict(store, flags[6], "false_alarm", "qa")
        # 10 spot checks done, 2 with a missed threat; one more open one with a mark (ignored).
        sampled = ids["unflagged"][:11]
        store.add_spot_checks([{"call_id": c, "stratum": "s", "rate": 0.1} for c in sampled])
        for c in sampled[:10]:
            review.check_spot(store, c, "qa")
        for c in sampled[:2] + sampled[10:]:
            review.mark_missed(store, c, "threat", "0:10", None, "qa")
        review.mark_missed(store, ids["flagged"][7], "abuse", None, "on a flagged call", "qa")
        rec = {r["category"]: r for r in recall_report(store)["categories"]}
        report = build_report(store)
    threat = rec["threat"]
    assert (threat["confirmed"], threat["false_alarms"], threat["detected_calls"]) == (6, 1, 6)
    assert threat["precision"] == pytest.approx(6 / 7)
    assert threat["missed_in_sample"] == 2 and threat["unreviewed_calls"] == 1
    # 2 of 10 checked unflagged calls missed a threat: about 20 of the 100 unflagged calls.
    assert threat["missed_estimate"] == 20.0
    assert threat["recall"] == pytest.approx(6 / 26)
    lo, hi = threat["recall_ci"]
    assert lo == pytest.approx(6 / (6 + 100 * 0.5098), abs=1e-3)
    assert hi == pytest.approx(6 / (6 + 100 * 0.0567), abs=2e-3)
    abuse = rec["abuse"]
    assert (abuse["flags"], abuse["missed_on_flagged"], abuse["recall"]) == (0, 1, 0.0)
    assert report["recall"]["checked"] == 10 and report["recall"]["unflagged"] == 100
    result = run("report", "--db", str(db), "--html", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "recall rests on 10 checked spot check(s) standing for 100 unflagged" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("threat ")
                and "%" in ln and "(" in ln)
    assert re.search(r"86% \(49-97%\)", line) and re.search(r"23% \(11-51%\)", line), line
    assert "Rules with the most false alarms" in out and "threat.violence" in out
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Precision and recall per category" in page and "23% (11-51%)" in page


def test_report_says_when_no_spot_check_was_checked(tmp_path: Path):
    db = tmp_path / "calls.db"
    build_db(db, per_stratum=1, flagged=1)
    result = run("report", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "none checked yet (20 unflagged calls)" in result.output
