"""The store's schema: an ordered list of migrations and the code that applies them.

Why: a QA team keeps its database across auditor upgrades, so opening an older file upgrades it
in place, each migration in its own transaction, recorded in a ``schema_version`` table. The
steps use sqlite-utils' own table operations (``create``, ``add_column``, ``create_index``,
``convert``, ``enable_fts``) rather than hand-written DDL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlite_utils


def now() -> str:
    """The current UTC time as stored in the database (ISO 8601, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def add_columns(table: sqlite_utils.db.Table, columns: dict[str, type]) -> None:
    """Add each column the table does not have yet (in order), so a migration can run twice."""
    for name, col_type in columns.items():
        if name not in table.columns_dict:
            table.add_column(name, col_type)


def _migration_1(db: sqlite_utils.Database) -> None:
    """The first schema: calls, utterances, flags, runs (each created only if absent)."""
    db["runs"].create(
        {
            "id": int,
            "started_at": str,
            "ended_at": str,
            "options": str,
            "found": int,
            "scored": int,
            "skipped": int,
            "failed": int,
        },
        pk="id",
        if_not_exists=True,
    )
    db["calls"].create(
        {
            "id": str,
            "path": str,
            "size": int,
            "duration_s": float,
            "channels": int,
            "status": str,
            "error": str,
            "score": int,
            "passed": int,
            "model": str,
            "rules_version": str,
            "processed_at": str,
            "scorecard": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["utterances"].create(
        {
            "id": int,
            "call_id": str,
            "idx": int,
            "speaker": str,
            "start": float,
            "end": float,
            "text": str,
        },
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )
    db["flags"].create(
        {
            "id": int,
            "call_id": str,
            "idx": int,
            "category": str,
            "rule": str,
            "severity": str,
            "speaker": str,
            "start": float,
            "end": float,
            "evidence": str,
            "matched": str,
        },
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )


def _migration_2(db: sqlite_utils.Database) -> None:
    """Metadata, layout, sub-scores, reviews, metrics, run totals, FTS and indexes."""
    calls = db["calls"]
    for name, col_type in (
        ("layout", str),
        ("agent_id", str),
        ("debtor_id", str),
        ("campaign", str),
        ("call_start", str),
        ("call_date", str),
        ("compliance_score", int),
        ("script_score", int),
        ("delivery_score", int),
        ("redacted", int),
    ):
        if name not in calls.columns_dict:
            calls.add_column(name, col_type)
    if "run_id" not in calls.columns_dict:
        calls.add_column("run_id", int, fk="runs", fk_col="id")
    flags = db["flags"]
    if "review_status" not in flags.columns_dict:
        flags.add_column("review_status", str, not_null_default="unreviewed")
    for name in ("reviewer", "comment", "reviewed_at"):
        if name not in flags.columns_dict:
            flags.add_column(name, str)
    utterances = db["utterances"]
    if "channel" not in utterances.columns_dict:
        utterances.add_column("channel", int)
    runs = db["runs"]
    add_columns(runs, {"status": str, "flagged": int, "audio_s": float, "wall_s": float,
                       "model": str, "rules_version": str})
    runs.convert("status", lambda _: "completed", where="status IS NULL AND ended_at IS NOT NULL")
    db["metrics"].create(
        {"call_id": str, "scope": str, "name": str, "value": float},
        pk=("call_id", "scope", "name"),
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )
    # Old rows had no layout: derive it from the channel count.
    calls.convert(
        "channels",
        lambda channels: "stereo" if channels == 2 else "mono",
        output="layout",
        where="layout IS NULL AND channels IS NOT NULL",
    )
    for table, columns in (
        ("calls", ["model", "rules_version"]),
        ("calls", ["status"]),
        ("calls", ["path"]),
        ("calls", ["agent_id"]),
        ("calls", ["call_date"]),
        ("calls", ["debtor_id", "call_date"]),
        ("calls", ["passed", "score"]),
        ("utterances", ["call_id"]),
        ("flags", ["call_id"]),
        ("flags", ["category"]),
        ("flags", ["severity"]),
        ("flags", ["review_status"]),
        ("metrics", ["scope", "name"]),
    ):
        db[table].create_index(columns, if_not_exists=True)
    # Trigram FTS indexes every 3-character substring, which is what Chinese search needs.
    db["utterances"].enable_fts(["text"], tokenize="trigram", create_triggers=True, replace=True)


def _migration_3(db: sqlite_utils.Database) -> None:
    """A false alarm is stored under its own name: ``dismissed`` becomes ``false_alarm``."""
    db["flags"].convert(
        "review_status",
        lambda _: "false_alarm",
        where="review_status = ?",
        where_args=["dismissed"],
    )


def _migration_6(db: sqlite_utils.Database) -> None:
    """Reviewers who sign in, the audit of every verdict, spot checks and missed violations.

    Self-contained (new tables only), so it applies whether or not migrations 4 and 5 ran.
    """
    db["reviewers"].create(
        {"id": int, "name": str, "salt": str, "token_hash": str, "created_at": str},
        pk="id",
        not_null={"name", "salt", "token_hash"},
        if_not_exists=True,
    )
    db["reviewers"].create_index(["name"], unique=True, if_not_exists=True)
    # No foreign key to flags: a flag row is rewritten when its call is saved again, the
    # history of its verdicts is not. The flag is named by call, rule and time instead.
    db["verdict_log"].create(
        {
            "id": int,
            "call_id": str,
            "flag_id": int,
            "rule": str,
            "category": str,
            "start": float,
            "old": str,
            "new": str,
            "reviewer": str,
            "signed_in": int,
            "comment": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )
    db["verdict_log"].create_index(["call_id"], if_not_exists=True)
    db["spot_checks"].create(
        {
            "call_id": str,
            "sampled_at": str,
            "stratum": str,
            "rate": float,
            "seed": int,
            "checked_by": str,
            "checked_at": str,
        },
        pk="call_id",
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )
    db["missed"].create(
        {
            "id": int,
            "call_id": str,
            "category": str,
            "at_s": float,
            "comment": str,
            "reviewer": str,
            "signed_in": int,
            "created_at": str,
        },
        pk="id",
        not_null={"call_id", "category"},
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )
    db["missed"].create_index(["call_id"], if_not_exists=True)
    db["missed"].create_index(["category"], if_not_exists=True)


def _migration_4(db: sqlite_utils.Database) -> None:
    """What each call achieved (the scorecard's ``outcome``) as columns, filled from the stored
    scorecards: result, promised amount and due date, customer emotion, complaint threat, and
    ``promise_status`` (pending / kept / broken, set from a payments file)."""
    from auditor.store.queries import outcome_columns

    calls = db["calls"]
    add_columns(calls, {"result": str, "promise_amount": float, "promise_due": str,
                        "emotion": str, "complaint_threat": int, "promise_status": str})
    rows = list(db.query("SELECT id, scorecard FROM calls WHERE scorecard IS NOT NULL"))
    for row in rows:
        try:
            card = json.loads(row["scorecard"])
        except (TypeError, ValueError):
            continue
        cols = {k: v for k, v in outcome_columns(card).items() if k in calls.columns_dict}
        if any(v is not None for v in cols.values()):
            calls.update(row["id"], cols)
    for columns in (["result"], ["emotion"], ["promise_status"]):
        calls.create_index(columns, if_not_exists=True)


def _migration_7(db: sqlite_utils.Database) -> None:
    """Flags carry ``uncertain`` (1 when the evidence rests on low-confidence text or an unsettled
    speaker), so the queue can rank them after certain ones; filled in from stored scorecards."""
    flags = db["flags"]
    if "uncertain" not in flags.columns_dict:
        flags.add_column("uncertain", int, not_null_default=0)
    for call_id, scorecard in db.execute(
        "SELECT id, scorecard FROM calls WHERE scorecard IS NOT NULL"
    ).fetchall():
        try:
            card_flags = json.loads(scorecard).get("flags") or []
        except (ValueError, AttributeError):
            continue
        marked = [i for i, f in enumerate(card_flags) if isinstance(f, dict) and f.get("uncertain")]
        for idx in marked:
            db.execute("UPDATE flags SET uncertain = 1 WHERE call_id = ? AND idx = ?",
                       [call_id, idx])
    flags.create_index(["uncertain"], if_not_exists=True)


def _migration_8(db: sqlite_utils.Database) -> None:
    """The outcome's uncertainty as columns, filled from the stored scorecards:
    ``outcome_uncertain`` (1 when the promise rests on weak evidence: low-confidence text, a pay
    verb known only by its sound, an inferred acceptance...), ``promise_confidence`` (the lowest
    recogniser confidence of the lines the promise rests on) and ``uncertain_reasons``."""
    from auditor.store.queries import outcome_columns

    calls = db["calls"]
    new = {"outcome_uncertain": int, "promise_confidence": float, "uncertain_reasons": str}
    add_columns(calls, new)
    for call_id, scorecard in db.execute(
        "SELECT id, scorecard FROM calls WHERE scorecard IS NOT NULL"
    ).fetchall():
        try:
            cols = outcome_columns(json.loads(scorecard))
        except (TypeError, ValueError, AttributeError):
            continue
        values = {k: cols[k] for k in new}
        if any(v is not None for v in values.values()):
            calls.update(call_id, values)
    calls.create_index(["outcome_uncertain"], if_not_exists=True)


# Version -> migration. Numbers may have gaps while branches that add migrations are merged:
# every migration a database has not recorded is applied, in version order.
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _migration_1,
    2: _migration_2,
    3: _migration_3,
    4: _migration_4,
    6: _migration_6,
    7: _migration_7,
    8: _migration_8,
}
SCHEMA_VERSION = max(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer auditor (its version is ``version``)."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def schema_version(db: sqlite_utils.Database) -> int:
    """The version a database is at (0 for an empty file)."""
    if "schema_version" in db.table_names():
        row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)
    # A database from before versioning that already has the first tables is version 1.
    return 1 if "calls" in db.table_names() else 0


def _recorded(db: sqlite_utils.Database) -> tuple[set[int], bool]:
    """The versions a database has applied, and whether ``schema_version`` records them.

    A database from before versioning that already has the first tables has applied 1.
    """
    if "schema_version" in db.table_names():
        rows = db.execute("SELECT version FROM schema_version").fetchall()
        if rows:
            return {int(r[0]) for r in rows}, True
    return ({1} if "calls" in db.table_names() else set()), False


@contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

    Why: a deferred transaction that reads first and then writes cannot wait for another
    writer in WAL mode (SQLite answers "database is locked" at once, busy timeout or not); an
    immediate one waits its turn (the connection's busy timeout) and then sees the other
    writer's work. Inside a transaction already, it joins it (a savepoint).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.execute("COMMIT")


def _missing(db: sqlite_utils.Database) -> tuple[list[int], set[int], bool]:
    """The migrations a database lacks (in order), the versions it has, whether recorded.

    Raises ``SchemaTooNew`` for a database newer than this code.
    """
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(current)
    done, recorded = _recorded(db)
    return sorted(set(MIGRATIONS) - done), done, recorded


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the migrations the database lacks, in version order; returns the versions applied.

    A database that recorded only some versions (a gap left by a migration added on another
    branch) gets the missing ones. Raises ``SchemaTooNew`` for a database newer than this code
    (the caller names the file).

    Safe when several processes open one new file at once (the batch parent and the review
    page, two ``auditor run``): each migration is decided and applied under the write lock
    (``BEGIN IMMEDIATE``), so a process that waited for another re-reads what that one applied
    and applies only what is still missing. An up-to-date database takes no write lock.
    """
    if not _missing(db)[0]:
        return []
    applied = []
    while True:
        with immediate(db):
            missing, done, recorded = _missing(db)  # again, now that this process holds the lock
            if not missing:
                break
            version = missing[0]
            versions = db["schema_version"]
            versions.create({"version": int, "applied_at": str}, pk="version", if_not_exists=True)
            if not recorded:  # a database from before versioning: record what it has
                for old in sorted(done):
                    versions.insert({"version": old, "applied_at": now()}, ignore=True)
            MIGRATIONS[version](db)
            versions.insert({"version": version, "applied_at": now()})
        applied.append(version)
    return applied
