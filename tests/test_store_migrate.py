"""The store's migration is idempotent and safe when several processes open a new file at once
(the batch parent and the review page, two `auditor run`)."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time
from pathlib import Path

import sqlite_utils

from auditor.store import schema
from auditor.store.db import Store


def _open_at(path: str, at: float, out: mp.Queue) -> None:
    """Child process: wait for the common start time, open the store, report what happened."""
    time.sleep(max(0.0, at - time.time()))
    try:
        with Store(path) as store:
            out.put(("ok", store.schema_version))
    except Exception as exc:  # reported to the parent, which fails the test with it
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def _recorded_versions(path: Path) -> list[int]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version")]
    finally:
        con.close()


def test_processes_opening_one_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    for round_ in range(3):
        path = tmp_path / f"new{round_}.db"
        out = ctx.Queue()
        at = time.time() + 0.5
        procs = [ctx.Process(target=_open_at, args=(str(path), at, out)) for _ in range(4)]
        for p in procs:
            p.start()
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert results == [("ok", schema.SCHEMA_VERSION)] * len(procs), results
        # every migration applied exactly once, whoever applied it
        assert _recorded_versions(path) == sorted(schema.MIGRATIONS)
        with Store(path) as store:
            assert store.integrity_check() == "ok"


def test_migrate_again_applies_nothing_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        columns = {t: list(store.db[t].columns_dict) for t in store.db.table_names()}
        assert store.migrate() == []
        assert schema.migrate(store.db) == []
        assert {t: list(store.db[t].columns_dict) for t in store.db.table_names()} == columns
    assert _recorded_versions(path) == sorted(schema.MIGRATIONS)


def test_every_migration_step_can_run_twice(tmp_path: Path) -> None:
    """A migration interrupted between its work and its record, or run by a process that did
    not see another's record, does not fail the second time."""
    db = sqlite_utils.Database(tmp_path / "b.db")
    for version in sorted(schema.MIGRATIONS):
        schema.MIGRATIONS[version](db)
        before = {t: list(db[t].columns_dict) for t in db.table_names()}
        schema.MIGRATIONS[version](db)
        assert {t: list(db[t].columns_dict) for t in db.table_names()} == before, version
    db.close()


def test_a_reader_of_an_up_to_date_database_takes_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        t0 = time.perf_counter()
        with Store(path) as store:
            assert store.schema_version == schema.SCHEMA_VERSION
        assert time.perf_counter() - t0 < 5.0  # did not wait for the busy timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()
