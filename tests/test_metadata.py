"""Call metadata: reading CSV/JSON, the call-hours and call-frequency flags, joining on ingest."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from auditor.batch import metadata as md
from auditor.batch.run import run_batch
from tests.helpers import make_fake, write_call


def test_csv_is_read_and_looked_up_by_base_name(tmp_path: Path) -> None:
    p = tmp_path / "meta.csv"
    p.write_text(
        "\ufefffile,call_start,agent_id,debtor_id,campaign\n"
        "a.wav,2025-03-01 21:30:00,A7,D1,spring\n"
        "/other/dir/b.wav,2025-03-01T23:05:00+08:00,A8,,\n",
        encoding="utf-8",
    )
    index = md.load_metadata(p)
    assert len(index) == 2
    a = index.lookup("/recordings/night/a.wav")
    assert a is not None and (a.agent_id, a.debtor_id, a.campaign) == ("A7", "D1", "spring")
    assert a.call_date is not None and a.call_date.isoformat() == "2025-03-01"
    b = index.lookup("b.wav")
    assert b is not None and b.debtor_id is None and b.call_start.hour == 23
    assert index.lookup("c.wav") is None


def test_json_list_and_object_forms(tmp_path: Path) -> None:
    as_list = tmp_path / "m.json"
    as_list.write_text(
        json.dumps([{"file": "x.wav", "agent": "A1", "start_time": "2025-01-02 07:59"}])
    )
    as_obj = tmp_path / "o.json"
    as_obj.write_text(json.dumps({"x.wav": {"agent_id": "A1", "connected": "no"}}))
    x = md.load_metadata(as_list).lookup("x.wav")
    assert x is not None and x.agent_id == "A1" and x.call_start == datetime(2025, 1, 2, 7, 59)
    y = md.load_metadata(as_obj).lookup("x.wav")
    assert y is not None and y.connected is False and y.call_start is None


def test_bad_rows_name_the_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "meta.csv"
    p.write_text("file,call_start\na.wav,yesterday evening\n", encoding="utf-8")
    with pytest.raises(md.MetadataError, match=r"meta.csv line 2: cannot read the time"):
        md.load_metadata(p)
    q = tmp_path / "nofile.csv"
    q.write_text("agent_id\nA1\n", encoding="utf-8")
    with pytest.raises(md.MetadataError, match="no file name"):
        md.load_metadata(q)


@pytest.mark.parametrize(
    ("clock", "night"),
    [("21:59", False), ("22:00", True), ("03:00", True), ("07:59", True), ("08:00", False)],
)
def test_call_hours_window(clock: str, night: bool) -> None:
    meta = md.CallMeta(file="a.wav", call_start=md.parse_time(f"2025-03-01 {clock}"))
    flag = md.call_hours_flag(meta, 61.0)
    assert (flag is not None) == night
    if flag:
        assert flag["severity"] == "info" and flag["category"] == "call_hours"
        assert flag["end"] == 61.0 and clock in flag["evidence"]


def test_over_limit_orders_by_start_time_not_arrival() -> None:
    calls = [
        ("e", "2025-03-01T18:00"),
        ("a", "2025-03-01T09:00"),
        ("c", "2025-03-01T12:00"),
        ("b", "2025-03-01T10:00"),
        ("d", "2025-03-01T15:00"),
    ]
    assert md.over_limit(calls) == {"d": 4, "e": 5}
    assert md.over_limit(calls[:3]) == {}


def test_metadata_is_joined_on_ingest_with_hours_and_frequency_flags(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    rows = ["file,call_start,agent_id,debtor_id,campaign,connected"]
    # Debtor D1: five calls on 1 March, one not connected: only the last (4th connected) is over.
    for i, (clock, connected) in enumerate(
        [("09:00", ""), ("10:00", ""), ("11:00", "no"), ("12:00", ""), ("23:30", "")]
    ):
        write_call(inbox, f"d1_{i}.wav")
        rows.append(f"d1_{i}.wav,2025-03-01 {clock},A1,D1,spring,{connected}")
    write_call(inbox, "other.wav")
    rows.append("other.wav,2025-03-02 10:00,A2,D2,spring,")
    write_call(inbox, "unlisted.wav")
    meta = tmp_path / "meta.csv"
    meta.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "calls.db"
    summary = run_batch([inbox], db, workers=2, factory=make_fake, metadata=meta)
    assert summary.scored == 7
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        calls = {Path(r["path"]).name: r for r in conn.execute("SELECT * FROM calls")}
        flags = [
            (Path(r["path"]).name, r["category"], r["severity"])
            for r in conn.execute(
                "SELECT c.path, f.category, f.severity FROM flags f "
                "JOIN calls c ON c.id = f.call_id"
            )
        ]
    assert calls["d1_0.wav"]["agent_id"] == "A1"
    assert calls["d1_0.wav"]["call_date"] == "2025-03-01"
    assert calls["other.wav"]["debtor_id"] == "D2"
    assert calls["unlisted.wav"]["agent_id"] is None
    # d1_3 is the 4th call but only the 3rd connected one: not over the limit.
    assert sorted(flags) == [
        ("d1_4.wav", "call_frequency", "info"),
        ("d1_4.wav", "call_hours", "info"),
    ]
    # Informational flags leave the score alone, and the stored scorecard carries them.
    assert calls["d1_4.wav"]["score"] == 100 and calls["d1_4.wav"]["passed"] == 1
    card = json.loads(calls["d1_4.wav"]["scorecard"])
    assert {f["category"] for f in card["flags"]} == {"call_hours", "call_frequency"}
    assert card["metadata"]["agent_id"] == "A1"
