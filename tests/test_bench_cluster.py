"""bench_cluster's row-for-row comparison of the local batch's and the cluster's databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auditor.batch.run import run_batch
from bench.bench_cluster import differing_rows
from tests.helpers import make_calls, make_fake


def test_identical_runs_differ_in_no_row_and_a_changed_word_is_shown_both_ways(
    tmp_path: Path,
) -> None:
    make_calls(tmp_path / "in", 3)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for db in (a, b):
        run_batch([tmp_path / "in"], db, workers=1, factory=make_fake)
    assert differing_rows(a, b) == []
    with sqlite3.connect(b) as conn:
        (call_id, idx, text), *_ = conn.execute(
            "SELECT call_id, idx, text FROM utterances ORDER BY call_id, idx").fetchall()
        conn.execute("UPDATE utterances SET text = ? WHERE call_id = ? AND idx = ?",
                     (text + "者", call_id, idx))
    diff = differing_rows(a, b)
    assert [(r[0], r[1], r[-1]) for r in diff] == [
        ("local", call_id, text), ("cluster", call_id, text + "者")]
