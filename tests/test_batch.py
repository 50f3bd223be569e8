"""The nightly batch with a fake auditor: resume, skip, rename, corrupt files, crashes.

The fake auditor reads a tiny JSON "recording" and returns a canned scorecard, so these tests
exercise the batch machinery (worker pool, hashing, single writer, transactions) without the
Whisper model. The fakes are in tests/helpers.py, importable by the worker processes.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from auditor.batch import run as batch
from auditor.batch.run import BatchError, find_recordings, run_batch, sha256_file
from auditor.store.db import Store
from tests.helpers import audited, broken_factory, db_rows, make_calls, make_fake, write_call

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent

# ---------------------------------------------------------------- tests


def test_find_recordings_recurses_by_extension_and_rejects_missing_paths(tmp_path: Path) -> None:
    make_calls(tmp_path / "a", 1)
    write_call(tmp_path / "a" / "deep" / "er", "x.MP3")
    write_call(tmp_path / "a", "notes.txt")
    write_call(tmp_path / "a" / ".hidden", "y.wav")
    explicit = write_call(tmp_path / "b", "odd.bin")
    found = find_recordings([tmp_path / "a", explicit])
    assert [p.name for p in found] == ["call_000.wav", "x.MP3", "odd.bin"]
    with pytest.raises(BatchError, match="does not exist"):
        find_recordings([tmp_path / "nope"])


def test_batch_audits_every_call_and_summarises(tmp_path: Path) -> None:
    calls = make_calls(tmp_path / "in", 3, duration=120.0)
    write_call(
        tmp_path / "in",
        "bad.wav",
        duration=30.0,
        flags=[{"category": "abuse", "severity": "critical"}],
    )
    db = tmp_path / "calls.db"
    seen = []
    summary = run_batch(
        [tmp_path / "in"],
        db,
        workers=2,
        factory=make_fake,
        on_result=lambda r, s: seen.append((r.call_id, s.scored + s.failed)),
    )
    assert (summary.found, summary.scored, summary.failed, summary.skipped) == (4, 4, 0, 0)
    assert summary.flagged == 1
    assert summary.audio_s == pytest.approx(390.0)
    assert summary.rtf is not None and summary.rtf > 0
    assert sorted(n for _, n in seen) == [1, 2, 3, 4]  # progress after every call
    assert "scored 4, failed 0, flagged 1" in summary.format()
    assert len(summary.worker_peak_rss_mb) >= 1
    assert all(mb > 0 for mb in summary.worker_peak_rss_mb.values())
    rows = dict(db_rows(db, "SELECT path, passed FROM calls"))
    assert rows[str(tmp_path / "in" / "bad.wav")] == 0
    assert rows[str(calls[0])] == 1
    assert db_rows(db, f"SELECT id FROM calls WHERE path = '{calls[1]}'") == [
        (sha256_file(calls[1]),)
    ]
    run = db_rows(db, "SELECT status, scored, failed, flagged, model, rules_version FROM runs")
    assert run == [("completed", 4, 0, 1, "fake-base", "rules-1")]
    assert db_rows(db, "SELECT COUNT(*) FROM utterances") == [(12,)]


def test_rerun_does_nothing(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 3)
    db, log = tmp_path / "calls.db", tmp_path / "audit.log"
    factory = functools.partial(make_fake, log=str(log))
    run_batch([tmp_path / "in"], db, factory=factory)
    before = db_rows(db, "SELECT id, processed_at FROM calls ORDER BY id")
    assert len(audited(log)) == 3
    second = run_batch([tmp_path / "in"], db, factory=factory)
    assert (second.scored, second.failed, second.skipped, second.to_audit) == (0, 0, 3, 0)
    assert len(audited(log)) == 3  # nothing audited again
    assert db_rows(db, "SELECT id, processed_at FROM calls ORDER BY id") == before


def test_renamed_file_is_not_audited_twice(tmp_path: Path) -> None:
    (one,) = make_calls(tmp_path / "in", 1)
    db, log = tmp_path / "calls.db", tmp_path / "audit.log"
    factory = functools.partial(make_fake, log=str(log))
    run_batch([tmp_path / "in"], db, factory=factory)
    moved = tmp_path / "in" / "sub" / "renamed.wav"
    moved.parent.mkdir()
    one.rename(moved)
    summary = run_batch([tmp_path / "in"], db, factory=factory)
    assert (summary.scored, summary.skipped) == (0, 1)
    assert audited(log) == [str(one)]
    assert db_rows(db, "SELECT path FROM calls") == [(str(moved),)]  # the path follows the file


def test_same_content_twice_in_one_batch_is_audited_once(tmp_path: Path) -> None:
    (one,) = make_calls(tmp_path / "in", 1)
    (tmp_path / "in" / "copy.wav").write_bytes(one.read_bytes())
    summary = run_batch([tmp_path / "in"], tmp_path / "c.db", factory=make_fake)
    assert (summary.found, summary.scored, summary.skipped) == (2, 1, 1)


def test_reprocess_and_new_rules_version_audit_again(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 2)
    db, log = tmp_path / "calls.db", tmp_path / "audit.log"
    run_batch([tmp_path / "in"], db, factory=functools.partial(make_fake, log=str(log)))
    again = run_batch(
        [tmp_path / "in"], db, reprocess=True, factory=functools.partial(make_fake, log=str(log))
    )
    assert again.scored == 2
    newer = functools.partial(make_fake, rules="rules-2", log=str(log))
    assert run_batch([tmp_path / "in"], db, factory=newer).scored == 2
    assert len(audited(log)) == 6
    assert db_rows(db, "SELECT COUNT(*), COUNT(DISTINCT id), MAX(rules_version) FROM calls") == [
        (2, 2, "rules-2")
    ]
    assert db_rows(db, "SELECT COUNT(*) FROM utterances") == [(6,)]  # replaced, not appended


def test_corrupt_file_among_good_ones_is_recorded_and_the_batch_goes_on(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 2)
    (tmp_path / "in" / "corrupt.wav").write_bytes(b"CORRUPT \x00\x01")
    (tmp_path / "in" / "raises.wav").write_bytes(b"RAISE")
    db = tmp_path / "calls.db"
    summary = run_batch([tmp_path / "in"], db, workers=2, factory=make_fake)
    assert (summary.scored, summary.failed) == (2, 2)
    found = db_rows(db, "SELECT path, status, error FROM calls")
    rows = {Path(p).name: (s, e) for p, s, e in found}
    assert rows["corrupt.wav"][0] == "failed" and "re-export" in rows["corrupt.wav"][1]
    assert rows["raises.wav"][0] == "failed" and "fake decoder exploded" in rows["raises.wav"][1]
    assert rows["call_000.wav"] == ("ok", None)
    # A failed call keeps the spec's shape: empty lists, a reason, no score.
    (text,) = db_rows(db, "SELECT scorecard FROM calls WHERE path LIKE '%raises.wav'")[0]
    card = json.loads(text)
    assert (card["utterances"], card["flags"], card["score"]) == ([], [], None)
    assert card["passed"] is False


def test_a_file_that_kills_its_worker_is_failed_alone(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 3)
    (tmp_path / "in" / "crash.wav").write_bytes(b"CRASH")
    db = tmp_path / "calls.db"
    summary = run_batch([tmp_path / "in"], db, workers=2, factory=make_fake)
    assert (summary.scored, summary.failed) == (3, 1)
    status = dict(db_rows(db, "SELECT path, status FROM calls"))
    assert status[str(tmp_path / "in" / "crash.wav")] == "failed"
    assert [s for p, s in status.items() if "call_" in p] == ["ok"] * 3


def test_auditor_that_cannot_be_built_stops_the_batch_with_the_reason(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 1)
    with pytest.raises(BatchError, match="model.bin is missing"):
        run_batch([tmp_path / "in"], tmp_path / "c.db", factory=broken_factory)


def test_resume_after_sigkill_completes_without_duplicates(tmp_path: Path) -> None:
    n = 12
    make_calls(tmp_path / "in", n)
    db = tmp_path / "calls.db"
    script = textwrap.dedent(
        f"""
        import functools
        from auditor.batch.run import run_batch
        from tests import helpers
        run_batch([{str(tmp_path / "in")!r}], {str(db)!r}, workers=2,
                  factory=functools.partial(helpers.make_fake, delay=0.25))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            try:
                done = db_rows(db, "SELECT COUNT(*) FROM calls")[0][0]
            except sqlite3.Error:
                continue  # not created yet
            if done >= 3:
                break
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the batch, its forkserver and its workers
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        written = conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        # Every call written is whole: three utterances each, never a partial call.
        assert conn.execute("SELECT COUNT(*) FROM utterances").fetchone()[0] == 3 * written
        assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]
    assert 3 <= written < n

    summary = run_batch([tmp_path / "in"], db, workers=2, factory=make_fake)
    assert summary.skipped == written
    assert summary.scored == n - written
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM calls").fetchone() == (n, n)
        assert conn.execute("SELECT COUNT(*) FROM utterances").fetchone()[0] == 3 * n
        assert conn.execute("SELECT COUNT(*) FROM utterances_fts").fetchone()[0] == 3 * n
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 6)
    db = tmp_path / "calls.db"

    def interrupt_after_two(result: batch.CallResult, summary: batch.BatchSummary) -> None:
        if summary.scored == 2:
            raise KeyboardInterrupt

    first = run_batch([tmp_path / "in"], db, factory=make_fake, on_result=interrupt_after_two)
    assert first.interrupted and first.scored == 2
    assert "Interrupted" in first.format()
    assert db_rows(db, "SELECT status, scored FROM runs") == [("interrupted", 2)]
    second = run_batch([tmp_path / "in"], db, factory=make_fake)
    assert (second.interrupted, second.skipped, second.scored) == (False, 2, 4)
    assert db_rows(db, "SELECT COUNT(*), COUNT(DISTINCT id) FROM calls") == [(6, 6)]


def test_store_counts_match_run_row_after_each_call(tmp_path: Path) -> None:
    make_calls(tmp_path / "in", 3)
    db = tmp_path / "calls.db"
    snapshots = []

    def peek(result: batch.CallResult, summary: batch.BatchSummary) -> None:
        snapshots.append(db_rows(db, "SELECT scored FROM runs")[0][0])

    run_batch([tmp_path / "in"], db, factory=make_fake, on_result=peek)
    assert snapshots == [1, 2, 3]  # the run's counters commit with each call


SAMPLES = REPO / "samples" / "calls"


@pytest.mark.e2e
def test_real_auditor_over_sample_calls(tmp_path: Path) -> None:
    pytest.importorskip("faster_whisper")
    pipeline = pytest.importorskip("auditor.pipeline")
    assert hasattr(pipeline, "Auditor")
    files = [p for p in find_recordings([SAMPLES])][:3] if SAMPLES.exists() else []
    if len(files) < 2:
        pytest.skip("samples/calls has fewer than 2 recordings")
    inbox = tmp_path / "in"
    inbox.mkdir()
    for f in files:
        (inbox / f.name).symlink_to(f)
    db = tmp_path / "calls.db"
    summary = run_batch([inbox], db, workers=1)
    assert summary.scored + summary.failed == len(files)
    assert summary.scored >= 2, db_rows(db, "SELECT path, error FROM calls")
    assert summary.rtf is not None and summary.rtf > 0  # measured; its target is make bench's
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        cards = list(store.iter_cards(status="ok"))
        assert all(c["utterances"] and isinstance(c["score"], int) for c in cards)
        assert store.db["utterances"].count > 0
    again = run_batch([inbox], db, workers=1)
    if again.rules_version == summary.rules_version:  # packs unchanged meanwhile: nothing to do
        assert (again.scored, again.skipped) == (0, len(files))
    else:  # a rule pack was edited between the runs: every call is audited again, once
        assert again.scored + again.failed == len(files)
