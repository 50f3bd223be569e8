"""The SQLite store: schema, migrations from an older database, transactions, FTS, redaction."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from auditor.batch.enrich import redact_text
from auditor.batch.run import save_audited
from auditor.store import db as store_mod
from auditor.store.db import SCHEMA_VERSION, AmbiguousCall, Store, StoreError
from auditor.store.schema import MIGRATIONS
from tests.helpers import spec_card

ABUSE = {
    "category": "abuse",
    "severity": "critical",
    "start": 5.0,
    "end": 9.0,
    "evidence": "你就是个老赖",
    "matched": "老赖",
}


def save(store: Store, call_id: str, path: str, **spec) -> dict:
    """Store a canned scorecard under an id."""
    card = spec_card(path, spec)
    return save_audited(
        store,
        card,
        call_id=call_id,
        path=path,
        size=100,
        model="m",
        rules_version="r1",
        redact=spec.get("redact", False),
    )


def test_fresh_database_has_schema_wal_foreign_keys_and_fts(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.db.journal_mode == "wal"
        assert store.db["utterances"].detect_fts() == "utterances_fts"
        assert {"calls", "utterances", "flags", "metrics", "runs"} <= set(store.db.table_names())
        assert "review_status" in store.db["flags"].columns_dict
        indexed = {tuple(i.columns) for i in store.db["flags"].indexes}
        assert ("call_id",) in indexed and ("category",) in indexed
        with pytest.raises(sqlite3.IntegrityError):
            store.db.execute(
                "INSERT INTO utterances (call_id, idx, text) VALUES ('no-such-call', 0, 'x')"
            )
    assert Store(tmp_path / "a.db").migrate() == []  # reopening changes nothing


def test_save_call_round_trip_and_metrics(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        stored = save(store, "ab" * 32, "/x/one.wav", flags=[ABUSE], cpm=250)
        assert stored["call_id"] == "ab" * 32
        assert (stored["score"], stored["passed"]) == (60, False)
        row = store.call_row("ab" * 32)
        assert row is not None
        assert (row["status"], row["passed"], row["compliance_score"], row["layout"]) == (
            "ok",
            0,
            60,
            "stereo",
        )
        metrics = {
            (r["scope"], r["name"]): r["value"]
            for r in store.db.query("SELECT * FROM metrics WHERE call_id = ?", ["ab" * 32])
        }
        assert metrics[("agent", "speech_rate_cpm")] == 250
        assert metrics[("call", "longest_silence_s")] == 2.0
        assert store.card("ab" * 32) == stored


def test_a_failure_mid_write_leaves_nothing_of_that_call(tmp_path: Path, monkeypatch) -> None:
    with Store(tmp_path / "a.db") as store:
        save(store, "aa" * 32, "/x/keep.wav")

        def boom(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(store_mod, "_metric_rows", boom)
        with pytest.raises(RuntimeError):
            save(store, "bb" * 32, "/x/lost.wav", flags=[ABUSE])
        assert store.count_calls() == 1
        for table in ("utterances", "flags"):
            n = store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE call_id = ?", ["bb" * 32])
            assert n.fetchone()[0] == 0
        assert store.integrity_check() == "ok"


def test_reprocessing_keeps_the_review_of_a_flag_raised_again(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        save(store, "cc" * 32, "/x/c.wav", flags=[ABUSE])
        (flag_id,) = [r["id"] for r in store.db.query("SELECT id FROM flags")]
        store.set_review(flag_id, "confirmed", reviewer="qa-li", comment="clear insult")
        save(store, "cc" * 32, "/x/c.wav", flags=[ABUSE, {**ABUSE, "start": 30.0, "end": 31.0}])
        rows = list(
            store.db.query("SELECT start, review_status, reviewer FROM flags ORDER BY start")
        )
        assert rows == [
            {"start": 5.0, "review_status": "confirmed", "reviewer": "qa-li"},
            {"start": 30.0, "review_status": "unreviewed", "reviewer": None},
        ]
        with pytest.raises(StoreError, match="review status"):
            store.set_review(flag_id, "maybe")
        card = store.card("cc" * 32, with_reviews=True)
        assert card is not None and card["flags"][0]["review"]["comment"] == "clear insult"


def test_redact_masks_numbers_everywhere_they_are_stored(tmp_path: Path) -> None:
    leak = {
        "category": "pii_leak",
        "severity": "critical",
        "evidence": "手机号13912345678",
        "matched": "13912345678",
    }
    with Store(tmp_path / "a.db") as store:
        save(
            store, "dd" * 32, "/x/d.wav", say="您的手机号13912345678对吗", flags=[leak], redact=True
        )
        dump = "\n".join(store.db.iterdump())
        assert "13912345678" not in dump  # not in utterances, flags, FTS, nor the JSON
        assert "139****5678" in dump
        assert store.search("****5678")[0]["text"].endswith("139****5678对吗")
        assert store.call_row("dd" * 32)["redacted"] == 1
    assert redact_text("尾号1234，欠款五千三百元") == "尾号1234，欠款五千三百元"
    assert redact_text("编号幺二三四五六七八九零") == "编号******七八九零"  # no checksum needed


def test_search_finds_chinese_substrings_of_any_length(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        save(store, "e1" * 32, "/x/e1.wav", say="你就是个老赖，后果自负")
        save(store, "e2" * 32, "/x/e2.wav", say="逾期会影响征信")
        assert [r["path"] for r in store.search("后果自负")] == ["/x/e1.wav"]  # trigram index
        assert [r["path"] for r in store.search("老赖")] == ["/x/e1.wav"]  # 2 chars: LIKE scan
        assert [r["path"] for r in store.search("征信 逾期")] == ["/x/e2.wav"]  # all terms
        assert store.search("坐牢") == [] and store.search("  ") == []
        assert len(store.search("先生")) == 2


def test_resolve_by_id_prefix_and_path(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        save(store, "f0" + "1" * 62, "/night/a_one.wav")
        save(store, "f0" + "2" * 62, "/night/b_two.wav")
        assert store.resolve("f01") == "f0" + "1" * 62
        assert store.resolve("/night/b_two.wav") == "f0" + "2" * 62
        assert store.resolve("b_two.wav") == "f0" + "2" * 62  # file name alone
        with pytest.raises(AmbiguousCall):
            store.resolve("f0")
        with pytest.raises(StoreError, match="no call matches"):
            store.resolve("zz")


def test_flagged_lists_worst_first_with_filters(tmp_path: Path) -> None:
    minor = {"category": "long_silence", "severity": "minor", "start": 20.0, "end": 30.0}
    info = {"category": "call_hours", "severity": "info"}
    with Store(tmp_path / "a.db") as store:
        save(store, "01" * 32, "/x/mild.wav", flags=[minor])
        save(store, "02" * 32, "/x/bad.wav", flags=[ABUSE, minor])
        save(store, "03" * 32, "/x/clean.wav")
        save(store, "04" * 32, "/x/night.wav", flags=[info])
        listed = store.flagged()
        assert [c["path"] for c in listed] == ["/x/bad.wav", "/x/mild.wav"]
        assert [f["category"] for f in listed[0]["flags"]] == ["abuse", "long_silence"]
        assert listed[0]["flags"][0]["evidence"] == "你就是个老赖"
        assert [c["path"] for c in store.flagged(severity="critical")] == ["/x/bad.wav"]
        assert [c["path"] for c in store.flagged(category="call_hours")] == ["/x/night.wav"]
        fid = listed[0]["flags"][0]["flag_id"]
        store.set_review(fid, "false_alarm")
        left = store.flagged(unreviewed=True, category="abuse")
        assert left == []
        assert store.flagged(agent="nobody") == []


V1_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT, ended_at TEXT, options TEXT,
                   found INTEGER, scored INTEGER, skipped INTEGER, failed INTEGER);
CREATE TABLE calls (id TEXT PRIMARY KEY, path TEXT, size INTEGER, duration_s FLOAT,
                    channels INTEGER, status TEXT, error TEXT, score INTEGER, passed INTEGER,
                    model TEXT, rules_version TEXT, processed_at TEXT, scorecard TEXT);
CREATE TABLE utterances (id INTEGER PRIMARY KEY, call_id TEXT REFERENCES calls(id), idx INTEGER,
                         speaker TEXT, start FLOAT, "end" FLOAT, text TEXT);
CREATE TABLE flags (id INTEGER PRIMARY KEY, call_id TEXT REFERENCES calls(id), idx INTEGER,
                    category TEXT, rule TEXT, severity TEXT, speaker TEXT, start FLOAT,
                    "end" FLOAT, evidence TEXT, matched TEXT);
"""


@pytest.mark.parametrize("versioned", [True, False], ids=["schema_version-1", "pre-versioning"])
def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path: Path, versioned) -> None:
    db = tmp_path / "old.db"
    card = spec_card("/old/a.wav", {"flags": [ABUSE]})
    with sqlite3.connect(db) as conn:
        conn.executescript(V1_SCHEMA)
        if versioned:
            conn.executescript(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT);"
                "INSERT INTO schema_version VALUES (1, '2025-01-01');"
            )
        conn.execute(
            "INSERT INTO runs VALUES (1, '2025-01-01T00:00', '2025-01-01T01:00', '{}', 1, 1, 0, 0)"
        )
        conn.execute(
            "INSERT INTO calls VALUES ('a1', '/old/a.wav', 10, 60.0, 2, 'ok', NULL, 60, 0, "
            "'whisper-base', 'r0', '2025-01-01T00:30', ?)",
            [json.dumps(card, ensure_ascii=False)],
        )
        conn.execute(
            "INSERT INTO utterances VALUES (1, 'a1', 0, 'agent', 5.0, 9.0, '你就是个老赖后果自负')"
        )
        conn.execute(
            "INSERT INTO flags VALUES (1, 'a1', 0, 'abuse', 'abuse.insult', 'critical', 'agent', "
            "5.0, 9.0, '你就是个老赖', '老赖')"
        )
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        versions = [r["version"] for r in store.db.query("SELECT version FROM schema_version")]
        assert versions == sorted(MIGRATIONS)
        row = store.call_row("a1")
        assert row is not None and row["layout"] == "stereo" and row["score"] == 60
        flag = next(store.db.query("SELECT review_status FROM flags WHERE id = 1"))
        assert flag["review_status"] == "unreviewed"
        assert [r["path"] for r in store.search("后果自负")] == ["/old/a.wav"]  # FTS backfilled
        assert store.runs()[0]["status"] == "completed"
        assert store.flagged()[0]["call_id"] == "a1"
        assert store.done_ids("whisper-base", "r0") == {"a1"}
        # New calls go in next to the old ones.
        save(store, "b2" * 32, "/new/b.wav")
        assert store.count_calls() == 2
        assert store.integrity_check() == "ok"
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        store.db["schema_version"].insert({"version": SCHEMA_VERSION + 1, "applied_at": "x"})
    with pytest.raises(StoreError, match="newer than this auditor"):
        Store(tmp_path / "a.db")


def test_a_file_that_is_not_sqlite_is_refused_with_a_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store(junk)


FIXTURE_V2 = Path(__file__).resolve().parent / "fixtures" / "schema_v2.db"
"""A database written by the batch at schema version 2 (before the restructure): 3 calls, two
reviewed flags, one confirmed and one false alarm (stored then as ``dismissed``)."""


def test_a_version_2_database_migrates_and_keeps_its_calls_flags_and_verdicts(
    tmp_path: Path,
) -> None:
    db = tmp_path / "v2.db"
    shutil.copyfile(FIXTURE_V2, db)
    with sqlite3.connect(db) as conn:
        before = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("calls", "utterances", "flags", "metrics", "runs")
        }
        cards = dict(conn.execute("SELECT id, scorecard FROM calls").fetchall())
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == max(MIGRATIONS)
        versions = [r["version"] for r in store.db.query("SELECT version FROM schema_version")]
        assert versions == sorted(MIGRATIONS)
        columns = store.db["calls"].columns_dict
        assert {"result", "promise_amount", "promise_due", "emotion", "complaint_threat",
                "promise_status"} <= set(columns)
        for table, n in before.items():
            assert store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n
        reviewed = list(
            store.db.query(
                "SELECT rule, review_status, reviewer, comment FROM flags "
                "WHERE review_status != 'unreviewed' ORDER BY id"
            )
        )
        assert reviewed == [
            {"rule": "abuse.insult", "review_status": "confirmed", "reviewer": "wang",
             "comment": "heard it"},
            {"rule": "steps.closing", "review_status": "false_alarm", "reviewer": "li",
             "comment": "customer said it"},
        ]
        for call_id, text in cards.items():
            assert store.card(call_id) == json.loads(text)
        listed = store.flagged()
        assert [c["score"] for c in listed] == [60, 95]
        assert listed[1]["flags"][0]["review_status"] == "false_alarm"
        assert [h["call_id"] for h in store.search("你就是个老赖")] == [listed[0]["call_id"]]
        assert store.integrity_check() == "ok"
    with Store(db) as store:  # opening it again applies nothing
        assert store.migrate() == []


def test_the_store_keeps_each_verdict_under_its_own_name() -> None:
    from auditor.review.verdicts import VERDICTS
    from auditor.store.db import REVIEW_STATUSES

    assert sorted(VERDICTS) == sorted(REVIEW_STATUSES) == ["confirmed", "false_alarm", "unreviewed"]
