"""The SQLite store of a batch: calls, utterances, flags, metrics and runs.

Why SQLite through ``sqlite-utils``: QA teams open the database as it is in Datasette or the
``sqlite3`` shell, the nightly batch needs a crash-safe single file, and the QA commands
(``flagged``, ``show``, ``search``, ``export``, ``report``) are plain queries over it.

Design:

* ``calls.id`` is the sha256 of the recording's bytes, so a renamed file is the same call;
* each call (its row, utterances, flags, metrics, and the run's counters) is written in ONE
  transaction: a killed batch leaves either the whole call or nothing;
* WAL journal, so readers (``auditor flagged`` in another terminal) never block the writer;
* foreign keys are declared and enforced (``PRAGMA foreign_keys=ON`` on every connection);
* ``utterances_fts`` is an FTS5 index over utterance text with the ``trigram`` tokenizer, which
  finds any substring of three or more characters: Chinese has no spaces between words, so the
  default word tokenizer would index a whole sentence as one token;
* the schema and its migrations are in ``auditor.store.schema``, the read queries in
  ``auditor.store.queries``;
* the store stores: it is handed scorecards that are final (enriched, redacted and scored by
  ``auditor.batch.enrich``) and never scores, redacts or reads metadata itself.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor.core.errors import AuditorError
from auditor.store import queries
from auditor.store.schema import SCHEMA_VERSION, SchemaTooNew, immediate, migrate, now
from auditor.store.schema import schema_version as _schema_version

SPEC_FIELDS = (
    "call_id",
    "file",
    "status",
    "error",
    "duration_s",
    "channels",
    "layout",
    "asr",
    "utterances",
    "metrics",
    "steps",
    "flags",
    "outcome",
    "score",
    "passed",
)
REVIEW_STATUSES = ("unreviewed", "confirmed", "false_alarm")


class StoreError(AuditorError):
    """The database cannot be used as asked; the message says why."""


class CardChanged(StoreError):
    """A call's stored scorecard changed between reading it and writing its rescore."""


def flag_key(flag: Mapping[str, Any]) -> tuple[Any, Any, Any, Any]:
    """What makes a flag "the same flag raised again": its rule and its utterance (start, end,
    speaker). Reviews carry over between flags with the same key."""
    return (flag.get("rule"), flag.get("start"), flag.get("end"), flag.get("speaker"))


class AmbiguousCall(StoreError):
    """A call reference matches several calls."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        super().__init__(
            f"{ref!r} matches {len(candidates)} calls; give more of the id or path: "
            + ", ".join(candidates[:5])
        )
        self.candidates = candidates


# ---------------------------------------------------------------- the store


class Store:
    """One audit database. Open it, use it from one process as the writer, close it.

    Opening creates the file if needed, enables WAL and foreign keys, and migrates an older
    schema to the current one.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._prepare()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable SQLite database: {exc}") from exc

    def _prepare(self, wait_s: float = 10.0) -> None:
        """WAL on and the schema migrated, retried while another process prepares the same new
        file: switching a fresh file to WAL can answer "database is locked" at once, without
        waiting for the busy timeout. Both steps are idempotent, so a retry is safe."""
        deadline = time.monotonic() + wait_s
        pause = 0.02
        while True:
            try:
                self.db.enable_wal()
                self.migrate()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(0.5, pause * 2)

    def close(self) -> None:
        """Close the connection (WAL contents stay valid for the next open)."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A write transaction that takes the write lock at once (``BEGIN IMMEDIATE``).

        Why: a deferred transaction that reads first and then writes cannot wait for another
        writer in WAL mode (SQLite answers "database is locked" at once, busy timeout or not),
        which loses a verdict when reviewers post together. Inside a transaction already, it
        joins it (a savepoint).
        """
        with immediate(self.db):
            yield

    # ------------------------------------------------------------ schema

    @property
    def schema_version(self) -> int:
        """The version the database is at (0 for an empty file)."""
        return _schema_version(self.db)

    def migrate(self) -> list[int]:
        """Apply the migrations the database lacks; returns the versions applied."""
        try:
            return migrate(self.db)
        except SchemaTooNew as exc:
            raise StoreError(
                f"{self.path} has schema version {exc.version}, newer than this auditor "
                f"({SCHEMA_VERSION}); upgrade the auditor to open it"
            ) from None

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` (``"ok"`` when sound)."""
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    # ------------------------------------------------------------ runs

    def start_run(self, options: Mapping[str, Any], model: str, rules_version: str) -> int:
        """Record the start of a batch; returns the run id."""
        with self.writing():
            table = self.db["runs"].insert(
                {
                    "started_at": now(),
                    "options": json.dumps(dict(options), ensure_ascii=False, default=str),
                    "status": "running",
                    "model": model,
                    "rules_version": rules_version,
                    "found": 0,
                    "scored": 0,
                    "skipped": 0,
                    "failed": 0,
                    "flagged": 0,
                    "audio_s": 0.0,
                }
            )
        return int(table.last_pk)

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set fields on a run row (in its own transaction)."""
        with self.writing():
            self.db["runs"].update(run_id, fields)

    def finish_run(self, run_id: int, status: str, wall_s: float, **counts: Any) -> None:
        """Close a run: end time, status (completed|interrupted|failed), wall time, counts."""
        self.update_run(run_id, ended_at=now(), status=status, wall_s=wall_s, **counts)

    def runs(self) -> list[dict[str, Any]]:
        """All runs, newest first."""
        return list(self.db.query("SELECT * FROM runs ORDER BY id DESC"))

    # ------------------------------------------------------------ writing calls

    def done_ids(self, model: str, rules_version: str) -> set[str]:
        """Ids of calls already audited (ok or failed) with this model and rules version."""
        return {
            row["id"]
            for row in self.db.query(
                "SELECT id FROM calls WHERE model = ? AND rules_version = ?",
                [model, rules_version],
            )
        }

    def known_ids(self) -> set[str]:
        """Ids of every call in the database."""
        return {row["id"] for row in self.db.query("SELECT id FROM calls")}

    def touch_path(self, call_id: str, path: str) -> None:
        """Record where a known call's file is now (a renamed or moved recording)."""
        with self.writing():
            self.db.execute(
                "UPDATE calls SET path = ? WHERE id = ? AND path IS NOT ?", [path, call_id, path]
            )

    def save_call(
        self,
        card: Mapping[str, Any],
        *,
        call_id: str,
        path: str,
        size: int | None,
        model: str,
        rules_version: str,
        run_id: int | None = None,
        columns: Mapping[str, Any] | None = None,
        redacted: bool = False,
        run_counts: Mapping[str, Any] | None = None,
        regrouped: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Write one audited call in ONE transaction and return the scorecard as stored.

        ``card`` is final (enriched and scored); it is stored as given. ``columns`` are the
        metadata columns of the ``calls`` row (``agent_id``, ``debtor_id``, ``campaign``,
        ``call_start``, ``call_date``); ``redacted`` records that personal numbers were masked.
        Replaces an earlier version of the same call, keeping the review of every flag that is
        raised again. ``regrouped`` are other stored calls whose scorecard changed with this one
        (the per-debtor-per-day rule), rewritten in the same transaction by
        :meth:`update_card`; ``run_counts`` update the run's counters.
        """
        stored = dict(card)
        subs = stored.get("subscores") or {}
        row: dict[str, Any] = {
            "id": call_id,
            "path": path,
            "size": size,
            "duration_s": stored.get("duration_s"),
            "channels": stored.get("channels"),
            "layout": stored.get("layout"),
            "status": stored.get("status"),
            "error": stored.get("error"),
            "score": stored.get("score"),
            "passed": _as_int(stored.get("passed")),
            "compliance_score": subs.get("compliance"),
            "script_score": subs.get("script"),
            "delivery_score": subs.get("delivery"),
            "model": model,
            "rules_version": rules_version,
            "processed_at": now(),
            "run_id": run_id,
            "redacted": int(redacted),
            "agent_id": None,
            "debtor_id": None,
            "campaign": None,
            "call_start": None,
            "call_date": None,
            "scorecard": json.dumps(stored, ensure_ascii=False),
        }
        if columns:
            row.update(columns)
        row.update(queries.outcome_columns(stored))
        with self.writing():
            self.db.execute("DELETE FROM utterances WHERE call_id = ?", [call_id])
            self.db.execute("DELETE FROM metrics WHERE call_id = ?", [call_id])
            self.db["calls"].upsert(row, pk="id")
            self._write_flags(call_id, stored.get("flags") or [])
            self.db["utterances"].insert_all(
                {
                    "call_id": call_id,
                    "idx": i,
                    "speaker": u.get("speaker"),
                    "start": u.get("start"),
                    "end": u.get("end"),
                    "text": u.get("text"),
                    "channel": u.get("channel"),
                }
                for i, u in enumerate(stored.get("utterances") or [])
            )
            self.db["metrics"].insert_all(_metric_rows(call_id, stored.get("metrics") or {}))
            for other_id, other in (regrouped or {}).items():
                self.update_card(other_id, other)
            if run_id is not None and run_counts:
                self.db["runs"].update(run_id, dict(run_counts))
        return self.card(call_id) or stored

    def update_card(self, call_id: str, card: Mapping[str, Any]) -> None:
        """Replace a stored call's scorecard, score, verdict and flags (reviews carried over).

        For a call whose flags changed because another call was saved (the per-day rule).
        Joins the caller's transaction when there is one.
        """
        with self.writing():
            self.db.execute(
                "UPDATE calls SET scorecard = ?, score = ?, passed = ? WHERE id = ?",
                [
                    json.dumps(dict(card), ensure_ascii=False),
                    card.get("score"),
                    _as_int(card.get("passed")),
                    call_id,
                ],
            )
            self._write_flags(call_id, list(card.get("flags") or []))

    def frequency_group(
        self, call_id: str, debtor_id: str | None, day: str | None
    ) -> list[dict[str, Any]]:
        """Other stored calls of this debtor and day, and of the call's present group.

        See :func:`auditor.store.queries.frequency_group`.
        """
        return queries.frequency_group(self.db, call_id, debtor_id, day)

    def _write_flags(self, call_id: str, flags: list[Mapping[str, Any]]) -> None:
        """Replace a call's flag rows, carrying reviews over to the same flag raised again."""
        reviews = {
            flag_key(r): r
            for r in self.db.query(
                "SELECT rule, start, end, speaker, review_status, reviewer, comment, reviewed_at "
                "FROM flags WHERE call_id = ? AND review_status != 'unreviewed'",
                [call_id],
            )
        }
        self.db.execute("DELETE FROM flags WHERE call_id = ?", [call_id])
        rows = []
        for i, f in enumerate(flags):
            review = reviews.get(flag_key(f), {})
            rows.append(
                {
                    "call_id": call_id,
                    "idx": i,
                    "category": f.get("category"),
                    "rule": f.get("rule"),
                    "severity": f.get("severity"),
                    "speaker": f.get("speaker"),
                    "start": f.get("start"),
                    "end": f.get("end"),
                    "evidence": f.get("evidence"),
                    "matched": f.get("matched"),
                    "uncertain": 1 if f.get("uncertain") else 0,
                    "review_status": review.get("review_status", "unreviewed"),
                    "reviewer": review.get("reviewer"),
                    "comment": review.get("comment"),
                    "reviewed_at": review.get("reviewed_at"),
                }
            )
        self.db["flags"].insert_all(rows)

    def save_rescored(
        self,
        call_id: str,
        card: Mapping[str, Any],
        rules_version: str,
        *,
        expected: str | None = None,
        regrouped: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Write a call's rescored scorecard in ONE transaction; returns (flags before, changed).

        The flags before are the call's flag rows (with their reviews) as they were when the
        write began. A flag raised again (same :func:`flag_key`) keeps its row, id and review,
        so a verdict being posted on it meanwhile is not lost; vanished flags are deleted and
        new ones added. Utterances and metrics are untouched (a rescore does not change them).
        ``regrouped`` (other calls of the same debtor and day whose per-day flags changed) are
        rewritten the same way. ``expected`` is the scorecard text the rescore was computed
        from: if the call was rewritten since, nothing is written and ``CardChanged`` is raised.
        A scorecard and version equal to the stored ones write nothing (changed is false).
        """
        text = json.dumps(dict(card), ensure_ascii=False)
        subs = card.get("subscores") or {}
        with self.writing():
            row = self.db.execute(
                "SELECT scorecard, rules_version FROM calls WHERE id = ?", [call_id]
            ).fetchone()
            if row is None:
                raise StoreError(f"there is no call with id {call_id}")
            if expected is not None and row[0] != expected:
                raise CardChanged(f"call {call_id} was rewritten while it was rescored")
            old = list(
                self.db.query(
                    "SELECT id, idx, category, rule, severity, speaker, start, end, evidence, "
                    "review_status, reviewer, comment, reviewed_at FROM flags WHERE call_id = ? "
                    "ORDER BY idx",
                    [call_id],
                )
            )
            if row[0] == text and row[1] == rules_version:
                return old, False
            self.db.execute(
                "UPDATE calls SET scorecard = ?, score = ?, passed = ?, compliance_score = ?, "
                "script_score = ?, delivery_score = ?, rules_version = ? WHERE id = ?",
                [text, card.get("score"), _as_int(card.get("passed")), subs.get("compliance"),
                 subs.get("script"), subs.get("delivery"), rules_version, call_id],
            )
            self._outcome_columns(call_id, card)
            self._sync_flags(call_id, list(card.get("flags") or []), old)
            for other_id, other in (regrouped or {}).items():
                self.db.execute(
                    "UPDATE calls SET scorecard = ?, score = ?, passed = ? WHERE id = ?",
                    [json.dumps(dict(other), ensure_ascii=False), other.get("score"),
                     _as_int(other.get("passed")), other_id],
                )
                others = list(self.db.query(
                    "SELECT id, rule, start, end, speaker FROM flags WHERE call_id = ?",
                    [other_id]))
                self._sync_flags(other_id, list(other.get("flags") or []), others)
        return old, True

    def _outcome_columns(self, call_id: str, card: Mapping[str, Any]) -> None:
        """Bring the row's outcome columns to the card where the store has them
        (``queries.outcome_columns``); a promise keeps the status payments gave it."""
        columns = getattr(queries, "outcome_columns", None)
        if columns is None:
            return
        values = dict(columns(dict(card)))
        status = values.pop("promise_status", None)
        if not values:
            return
        sets = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(
            f"UPDATE calls SET {sets}, promise_status = CASE WHEN ? IS NULL THEN NULL "
            "ELSE COALESCE(promise_status, ?) END WHERE id = ?",
            [*values.values(), status, status, call_id],
        )

    def _sync_flags(
        self, call_id: str, flags: list[Mapping[str, Any]], old: list[dict[str, Any]]
    ) -> None:
        """Bring a call's flag rows to ``flags`` in place: rows of flags raised again are
        updated (id and review kept), the others deleted or inserted."""
        rows: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in old:
            rows.setdefault(flag_key(r), []).append(r)
        new_rows = []
        for i, f in enumerate(flags):
            fields = {
                "idx": i,
                "category": f.get("category"),
                "severity": f.get("severity"),
                "evidence": f.get("evidence"),
                "matched": f.get("matched"),
            }
            same = rows.get(flag_key(f))
            if same:
                self.db["flags"].update(same.pop(0)["id"], fields)
            else:
                new_rows.append(
                    {
                        "call_id": call_id,
                        "rule": f.get("rule"),
                        "speaker": f.get("speaker"),
                        "start": f.get("start"),
                        "end": f.get("end"),
                        "review_status": "unreviewed",
                        **fields,
                    }
                )
        gone = [r["id"] for left in rows.values() for r in left]
        for flag_id in gone:
            self.db.execute("DELETE FROM flags WHERE id = ?", [flag_id])
        self.db["flags"].insert_all(new_rows)

    def set_review(
        self,
        flag_id: int,
        status: str,
        reviewer: str | None = None,
        comment: str | None = None,
        signed_in: bool = False,
        by: str | None = None,
        why: str | None = None,
    ) -> None:
        """Record a reviewer's verdict on one flag (confirmed, false_alarm or unreviewed).

        The change (old -> new, who, when, comment, whether the reviewer signed in) goes into
        ``verdict_log`` in the same transaction, so no verdict is ever changed unrecorded.
        ``by``/``why`` name who made the change and why when the flag itself keeps no name
        (a verdict taken back); they default to ``reviewer``/``comment``.
        """
        if status not in REVIEW_STATUSES:
            raise StoreError(f"review status must be one of {', '.join(REVIEW_STATUSES)}")
        with self.writing():
            old = self.db.execute(
                "SELECT call_id, rule, category, start, review_status FROM flags WHERE id = ?",
                [flag_id],
            ).fetchone()
            if old is None:
                raise StoreError(f"there is no flag with id {flag_id}")
            at = now()
            self.db.execute(
                "UPDATE flags SET review_status = ?, reviewer = ?, comment = ?, reviewed_at = ? "
                "WHERE id = ?",
                [status, reviewer, comment, at, flag_id],
            )
            self.db["verdict_log"].insert(
                {
                    "call_id": old[0],
                    "flag_id": flag_id,
                    "rule": old[1],
                    "category": old[2],
                    "start": old[3],
                    "old": old[4],
                    "new": status,
                    "reviewer": by or reviewer,
                    "signed_in": int(signed_in),
                    "comment": why or comment,
                    "at": at,
                }
            )

    # ------------------------------------------------------------ reviewers, spot checks, misses

    def add_reviewer(self, name: str, salt: str, token_hash: str) -> int:
        """Store a reviewer with their hashed token; returns the reviewer id."""
        with self.writing():
            if self.db.execute("SELECT 1 FROM reviewers WHERE name = ?", [name]).fetchone():
                raise StoreError(f"there is already a reviewer named {name!r}")
            table = self.db["reviewers"].insert(
                {"name": name, "salt": salt, "token_hash": token_hash, "created_at": now()}
            )
        return int(table.last_pk)

    def reviewer(self, reviewer_id: int) -> dict[str, Any] | None:
        """One reviewer row (with salt and token hash), or None."""
        rows = list(self.db.query("SELECT * FROM reviewers WHERE id = ?", [reviewer_id]))
        return rows[0] if rows else None

    def reviewers(self) -> list[dict[str, Any]]:
        """Every reviewer's id, name and creation time (no token material), by name."""
        return list(self.db.query("SELECT id, name, created_at FROM reviewers ORDER BY name"))

    def remove_reviewer(self, name: str) -> bool:
        """Delete a reviewer (their token stops working); verdicts keep their name."""
        with self.writing():
            cur = self.db.execute("DELETE FROM reviewers WHERE name = ?", [name])
        return cur.rowcount > 0

    def add_spot_checks(self, rows: list[Mapping[str, Any]]) -> int:
        """Put sampled calls in the review queue as spot checks; returns how many were new."""
        with self.writing():
            before = self.db["spot_checks"].count
            self.db["spot_checks"].insert_all(
                ({"sampled_at": now(), **dict(r)} for r in rows), ignore=True
            )
            return self.db["spot_checks"].count - before

    def spot_check(self, call_id: str) -> dict[str, Any] | None:
        """The spot check of a call, or None when it was not sampled."""
        rows = list(self.db.query("SELECT * FROM spot_checks WHERE call_id = ?", [call_id]))
        return rows[0] if rows else None

    def check_spot(self, call_id: str, reviewer: str | None) -> None:
        """Record that a reviewer listened to a spot-checked call (``None`` reopens it)."""
        with self.writing():
            cur = self.db.execute(
                "UPDATE spot_checks SET checked_by = ?, checked_at = ? WHERE call_id = ?",
                [reviewer, now() if reviewer else None, call_id],
            )
            if cur.rowcount == 0:
                raise StoreError(f"call {call_id[:12]} is not a spot check")

    def add_missed(
        self,
        call_id: str,
        category: str,
        at_s: float | None,
        comment: str | None,
        reviewer: str,
        signed_in: bool = False,
    ) -> int:
        """Record a violation the auditor missed on a call; returns its id."""
        with self.writing():
            table = self.db["missed"].insert(
                {
                    "call_id": call_id,
                    "category": category,
                    "at_s": at_s,
                    "comment": comment,
                    "reviewer": reviewer,
                    "signed_in": int(signed_in),
                    "created_at": now(),
                }
            )
        return int(table.last_pk)

    def missed(self, call_id: str) -> list[dict[str, Any]]:
        """The missed violations marked on a call, in time order."""
        return list(
            self.db.query(
                "SELECT * FROM missed WHERE call_id = ? ORDER BY at_s IS NULL, at_s, id",
                [call_id],
            )
        )

    def verdict_log(self, call_id: str) -> list[dict[str, Any]]:
        """Every verdict change on a call's flags, oldest first."""
        return list(
            self.db.query("SELECT * FROM verdict_log WHERE call_id = ? ORDER BY id", [call_id])
        )

    # ------------------------------------------------------------ reading

    def count_calls(self) -> int:
        """Number of calls stored."""
        return int(self.db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def resolve(self, ref: str) -> str:
        """The call id for a reference: a prefix of the id, an exact path, or a path suffix.

        Raises ``StoreError`` when nothing matches and ``AmbiguousCall`` when several do.
        """
        ref = ref.strip()
        if not ref:
            raise StoreError("give a call id (or its first characters) or a file path")
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        queries = (
            ("SELECT id FROM calls WHERE id = ?", [ref.lower()]),
            ("SELECT id FROM calls WHERE path = ?", [ref]),
            (
                "SELECT id FROM calls WHERE id LIKE ? ESCAPE '\\' OR path LIKE ? ESCAPE '\\' "
                "OR path LIKE ? ESCAPE '\\' ORDER BY id",
                [escaped.lower() + "%", escaped + "%", "%/" + escaped],
            ),
        )
        for sql, params in queries:
            ids = [r[0] for r in self.db.execute(sql, params).fetchall()]
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                raise AmbiguousCall(ref, ids)
        raise StoreError(f"no call matches {ref!r}; `auditor flagged` lists the stored calls")

    def call_row(self, call_id: str) -> dict[str, Any] | None:
        """The ``calls`` row of a call, without the scorecard JSON."""
        rows = list(self.db.query("SELECT * FROM calls WHERE id = ?", [call_id]))
        if not rows:
            return None
        row = rows[0]
        row.pop("scorecard", None)
        return row

    def card(self, call_id: str, with_reviews: bool = False) -> dict[str, Any] | None:
        """The stored scorecard of a call; ``with_reviews`` adds each flag's id and review."""
        row = self.db.execute("SELECT scorecard FROM calls WHERE id = ?", [call_id]).fetchone()
        if row is None:
            return None
        card = json.loads(row[0])
        if with_reviews:
            reviews = list(
                self.db.query(
                    "SELECT id, review_status, reviewer, comment, reviewed_at FROM flags "
                    "WHERE call_id = ? ORDER BY idx",
                    [call_id],
                )
            )
            for flag, review in zip(card.get("flags") or [], reviews, strict=False):
                flag["flag_id"] = review.pop("id")
                flag["review"] = review
        return card

    def iter_cards(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored scorecard, oldest processed first."""
        sql = "SELECT scorecard FROM calls"
        params: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            params.append(status)
        for (text,) in self.db.execute(sql + " ORDER BY processed_at, id", params):
            yield json.loads(text)

    def flagged(
        self,
        *,
        category: str | None = None,
        severity: str | None = None,
        agent: str | None = None,
        day: str | None = None,
        unreviewed: bool = False,
        limit: int | None = None,
        certainty: str = "all",
        outcome: str | None = None,
    ) -> list[dict[str, Any]]:
        """Calls to listen to, worst first (failed verdict, then lowest score), with flags.

        Informational flags (severity ``info``) are left out unless ``severity`` or
        ``category`` asks for them. ``day`` is the call's date from the metadata, or the date
        it was processed when there is none. ``certainty`` is ``all``, ``certain`` or
        ``uncertain``; calls whose listed flags are all uncertain come last. The query is
        :func:`auditor.store.queries.flagged_calls`, the one the review queue uses.
        """
        state = "unreviewed" if unreviewed else "all"
        filt = queries.FlagFilter(category, severity, agent, day, state, certainty)
        if outcome:  # only calls whose outcome is this result (e.g. refusal)
            ids = queries.calls_with_result(self.db, outcome)
            entries = [e for e in queries.flagged_calls(self.db, filt) if e["call_id"] in ids]
            entries = entries[:limit] if limit is not None else entries
        else:
            entries = queries.flagged_calls(self.db, filt, limit)
        for entry in entries:
            for flag in entry["flags"]:
                del flag["reviewer"]
        return entries

    def search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        """Utterances containing every whitespace-separated term of ``text`` (FTS or LIKE)."""
        return queries.search_utterances(self.db, text, limit)


def _as_int(passed: Any) -> int | None:
    """A verdict as stored: 1, 0 or NULL."""
    return None if passed is None else int(bool(passed))


def _metric_rows(call_id: str, metrics: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Flatten the scorecard's metrics: nested ``agent``/``customer`` dicts become scopes."""
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            for name, v in value.items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    yield {"call_id": call_id, "scope": key, "name": name, "value": float(v)}
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield {"call_id": call_id, "scope": "call", "name": key, "value": float(value)}


# ---------------------------------------------------------------- export


def export_cards(store: Store, fmt: str, out: Any) -> int:
    """Write every stored scorecard to the text stream ``out``; returns how many.

    ``jsonl``: one scorecard per line, exactly as stored (the spec's shape plus added fields
    such as ``subscores`` and ``metadata``). ``csv``: one row per call whose columns are the
    spec's top-level fields in the spec's order (nested values as JSON text), then any added
    fields, so a spreadsheet and the JSON agree field for field.
    """
    import csv

    if fmt not in ("jsonl", "csv"):
        raise StoreError(f"unknown export format {fmt!r}; use jsonl or csv")
    n = 0
    if fmt == "jsonl":
        for card in store.iter_cards():
            out.write(json.dumps(card, ensure_ascii=False) + "\n")
            n += 1
        return n
    cards = list(store.iter_cards())
    extras: list[str] = []
    for card in cards:
        extras += [k for k in card if k not in SPEC_FIELDS and k not in extras]
    columns = list(SPEC_FIELDS) + extras
    writer = csv.writer(out)
    writer.writerow(columns)
    for card in cards:
        row = []
        for col in columns:
            value = card.get(col)
            if isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            row.append("" if value is None else value)
        writer.writerow(row)
        n += 1
    return n
