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
* a ``schema_version`` table and an ordered list of migrations: opening an older database
  upgrades it in place (each migration in its own transaction);
* ``redact=True`` masks personal numbers (phone, ID-card, bank-card) before anything is stored.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor.batch import metadata as md
from auditor.core.errors import AuditorError
from auditor.score.scoring import score_card

SCHEMA_VERSION = 2
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
    "score",
    "passed",
)
REVIEW_STATUSES = ("unreviewed", "confirmed", "dismissed")


class StoreError(AuditorError):
    """The database cannot be used as asked; the message says why."""


class AmbiguousCall(StoreError):
    """A call reference matches several calls."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        super().__init__(
            f"{ref!r} matches {len(candidates)} calls; give more of the id or path: "
            + ", ".join(candidates[:5])
        )
        self.candidates = candidates


# ---------------------------------------------------------------- redaction

# digits as compliance.numbers reads them (telephone readings, financial numerals)
_DIGIT = "0-9０-９〇零一二三四五六七八九幺两洞拐勾壹贰叁肆伍陆柒捌玖"
_NUMBER_RE = re.compile(rf"(?:\+\s?86[\s-]?)?[{_DIGIT}](?:[\s-]?[{_DIGIT}]){{6,}}(?:[Xx叉])?")


def redact_text(text: str | None) -> str | None:
    """Mask personal numbers: validated ones as ``compliance.pii`` does, other 7+ digit runs too.

    ``13912345678`` -> ``139****5678`` (a valid mobile); ``1234567890`` -> ``******7890``.
    Amounts such as ``五千三百元`` or ``5300`` are untouched. Over-masking a long date is
    accepted: a stored personal number is the worse error.
    """
    if not text:
        return text
    try:  # the PII finder masks validated numbers precisely (first 3 and last 4 kept) ...
        from auditor.compliance.pii import mask_text

        text = mask_text(text)
    except ImportError:  # pragma: no cover - the PII module is part of the package
        pass
    # ... and any other long digit run (ASR-garbled, failed checksum) is masked here.

    def mask(m: re.Match[str]) -> str:
        chars = [c for c in m.group(0) if c not in " -+\t"]
        keep = "".join(chars[-4:])
        return "*" * (len(chars) - 4) + keep

    return _NUMBER_RE.sub(mask, text)


def redact_card(card: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a scorecard with personal numbers masked in utterances and flags."""
    out = copy.deepcopy(dict(card))
    for utt in out.get("utterances") or []:
        utt["text"] = redact_text(utt.get("text"))
    for flag in out.get("flags") or []:
        for key in ("evidence", "matched"):
            if isinstance(flag.get(key), str):
                flag[key] = redact_text(flag[key])
    return out


# ---------------------------------------------------------------- migrations


def _migration_1(db: sqlite_utils.Database) -> None:
    """The first schema: calls, utterances, flags, runs."""
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
    for name, col_type in (
        ("status", str),
        ("flagged", int),
        ("audio_s", float),
        ("wall_s", float),
        ("model", str),
        ("rules_version", str),
    ):
        if name not in runs.columns_dict:
            runs.add_column(name, col_type)
    db.execute("UPDATE runs SET status = 'completed' WHERE status IS NULL AND ended_at IS NOT NULL")
    db["metrics"].create(
        {"call_id": str, "scope": str, "name": str, "value": float},
        pk=("call_id", "scope", "name"),
        foreign_keys=[("call_id", "calls", "id")],
        if_not_exists=True,
    )
    # Old rows had no layout: derive it from the channel count.
    db.execute(
        "UPDATE calls SET layout = CASE channels WHEN 2 THEN 'stereo' ELSE 'mono' END "
        "WHERE layout IS NULL AND channels IS NOT NULL"
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


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_migration_1, _migration_2)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
            self.db.enable_wal()
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable SQLite database: {exc}") from exc

    def close(self) -> None:
        """Close the connection (WAL contents stay valid for the next open)."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ schema

    @property
    def schema_version(self) -> int:
        """The version the database is at (0 for an empty file)."""
        if "schema_version" in self.db.table_names():
            row = self.db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            return int(row[0] or 0)
        # A database from before versioning that already has the first tables is version 1.
        return 1 if "calls" in self.db.table_names() else 0

    def migrate(self) -> list[int]:
        """Apply the migrations the database lacks; returns the versions applied."""
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this auditor "
                f"({SCHEMA_VERSION}); upgrade the auditor to open it"
            )
        applied = []
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.db.atomic():
                self.db["schema_version"].create(
                    {"version": int, "applied_at": str}, pk="version", if_not_exists=True
                )
                if current >= 1 and version == current + 1 and not self._has_version_rows():
                    self.db["schema_version"].insert({"version": current, "applied_at": _now()})
                MIGRATIONS[version - 1](self.db)
                self.db["schema_version"].insert({"version": version, "applied_at": _now()})
            applied.append(version)
        return applied

    def _has_version_rows(self) -> bool:
        return bool(self.db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0])

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` (``"ok"`` when sound)."""
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    # ------------------------------------------------------------ runs

    def start_run(self, options: Mapping[str, Any], model: str, rules_version: str) -> int:
        """Record the start of a batch; returns the run id."""
        with self.db.atomic():
            table = self.db["runs"].insert(
                {
                    "started_at": _now(),
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
        with self.db.atomic():
            self.db["runs"].update(run_id, fields)

    def finish_run(self, run_id: int, status: str, wall_s: float, **counts: Any) -> None:
        """Close a run: end time, status (completed|interrupted|failed), wall time, counts."""
        self.update_run(run_id, ended_at=_now(), status=status, wall_s=wall_s, **counts)

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
        with self.db.atomic():
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
        meta: md.CallMeta | None = None,
        redact: bool = False,
        run_counts: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write one audited call in ONE transaction and return the scorecard as stored.

        Replaces an earlier version of the same call (keeping the review of every flag that
        is raised again), joins the metadata (and its call-hours flag), re-checks the
        debtor's per-day call count, scores the card, and updates the run's counters.
        """
        stored = redact_card(card) if redact else copy.deepcopy(dict(card))
        stored["call_id"] = call_id
        stored.setdefault("file", path)
        if meta is not None:
            stored["metadata"] = {
                k: v for k, v in meta.as_columns().items() if k != "call_date" and v is not None
            }
            if meta.connected is not None:
                stored["metadata"]["connected"] = meta.connected
            flags = [f for f in stored.get("flags") or [] if f.get("category") != md.CALL_HOURS]
            hours = md.call_hours_flag(meta, stored.get("duration_s"))
            stored["flags"] = flags + ([hours] if hours else [])
        score_card(stored)
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
            "passed": None if stored.get("passed") is None else int(bool(stored["passed"])),
            "compliance_score": subs.get("compliance"),
            "script_score": subs.get("script"),
            "delivery_score": subs.get("delivery"),
            "model": model,
            "rules_version": rules_version,
            "processed_at": _now(),
            "run_id": run_id,
            "redacted": int(redact),
            "agent_id": None,
            "debtor_id": None,
            "campaign": None,
            "call_start": None,
            "call_date": None,
            "scorecard": json.dumps(stored, ensure_ascii=False),
        }
        if meta is not None:
            row.update(meta.as_columns())
        old_group = None
        with self.db.atomic():
            prev = self.db.execute(
                "SELECT debtor_id, call_date FROM calls WHERE id = ?", [call_id]
            ).fetchone()
            if prev and prev[0] and prev[1]:
                old_group = (prev[0], prev[1])
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
            groups = {(row["debtor_id"], row["call_date"]), old_group} - {None}
            for debtor_id, day in groups:
                if debtor_id and day:
                    self._refresh_frequency(debtor_id, day, meta_connected={call_id: meta})
            if run_id is not None and run_counts:
                self.db["runs"].update(run_id, dict(run_counts))
        return self.card(call_id) or stored

    def _write_flags(self, call_id: str, flags: list[Mapping[str, Any]]) -> None:
        """Replace a call's flag rows, carrying reviews over to the same flag raised again."""
        reviews = {
            (r["rule"], r["start"], r["end"], r["speaker"]): r
            for r in self.db.query(
                "SELECT rule, start, end, speaker, review_status, reviewer, comment, reviewed_at "
                "FROM flags WHERE call_id = ? AND review_status != 'unreviewed'",
                [call_id],
            )
        }
        self.db.execute("DELETE FROM flags WHERE call_id = ?", [call_id])
        rows = []
        for i, f in enumerate(flags):
            key = (f.get("rule"), f.get("start"), f.get("end"), f.get("speaker"))
            review = reviews.get(key, {})
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
                    "review_status": review.get("review_status", "unreviewed"),
                    "reviewer": review.get("reviewer"),
                    "comment": review.get("comment"),
                    "reviewed_at": review.get("reviewed_at"),
                }
            )
        self.db["flags"].insert_all(rows)

    def _refresh_frequency(
        self, debtor_id: str, day: str, meta_connected: Mapping[str, md.CallMeta | None]
    ) -> None:
        """Re-derive the ``call_frequency`` flags of one debtor's calls on one day.

        Runs inside the caller's transaction. Calls finish in any order in a parallel batch,
        so the whole group is recomputed each time one of its calls is written.
        """
        rows = list(
            self.db.query(
                "SELECT id, call_start, duration_s, scorecard FROM calls "
                "WHERE debtor_id = ? AND call_date = ?",
                [debtor_id, day],
            )
        )
        cards = {r["id"]: json.loads(r["scorecard"]) for r in rows}
        connected = []
        for r in rows:
            card = cards[r["id"]]
            meta_conn = (card.get("metadata") or {}).get("connected")
            meta = meta_connected.get(r["id"])
            if meta is None and meta_conn is not None:
                meta = md.CallMeta(file="", connected=bool(meta_conn))
            if md.is_connected(meta, card):
                connected.append((r["id"], r["call_start"]))
        over = md.over_limit(connected)
        for r in rows:
            card = cards[r["id"]]
            flags = [f for f in card.get("flags") or [] if f.get("category") != md.CALL_FREQUENCY]
            if r["id"] in over:
                flags.append(
                    md.frequency_flag(
                        debtor_id, day, over[r["id"]], len(connected), r["duration_s"]
                    )
                )
            if flags == (card.get("flags") or []):
                continue
            card["flags"] = flags
            score_card(card)
            self.db.execute(
                "UPDATE calls SET scorecard = ?, score = ?, passed = ? WHERE id = ?",
                [
                    json.dumps(card, ensure_ascii=False),
                    card.get("score"),
                    None if card.get("passed") is None else int(bool(card["passed"])),
                    r["id"],
                ],
            )
            self._write_flags(r["id"], flags)

    def set_review(
        self, flag_id: int, status: str, reviewer: str | None = None, comment: str | None = None
    ) -> None:
        """Record a reviewer's verdict on one flag (confirmed, dismissed or unreviewed)."""
        if status not in REVIEW_STATUSES:
            raise StoreError(f"review status must be one of {', '.join(REVIEW_STATUSES)}")
        with self.db.atomic():
            cur = self.db.execute(
                "UPDATE flags SET review_status = ?, reviewer = ?, comment = ?, reviewed_at = ? "
                "WHERE id = ?",
                [status, reviewer, comment, _now(), flag_id],
            )
            if cur.rowcount == 0:
                raise StoreError(f"there is no flag with id {flag_id}")

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
    ) -> list[dict[str, Any]]:
        """Calls to listen to, worst first (failed verdict, then lowest score), with flags.

        Informational flags (severity ``info``) are left out unless ``severity`` or
        ``category`` asks for them. ``day`` is the call's date from the metadata, or the date
        it was processed when there is none.
        """
        where = ["c.status = 'ok'"]
        params: list[Any] = []
        if severity:
            where.append("f.severity = ?")
            params.append(severity)
        elif not category:
            where.append("f.severity != 'info'")
        if category:
            where.append("f.category = ?")
            params.append(category)
        if agent:
            where.append("c.agent_id = ?")
            params.append(agent)
        if day:
            where.append("COALESCE(c.call_date, substr(c.processed_at, 1, 10)) = ?")
            params.append(day)
        if unreviewed:
            where.append("f.review_status = 'unreviewed'")
        sql = (
            "SELECT c.id AS call_id, c.path, c.score, c.passed, c.agent_id, c.call_start, "
            "c.duration_s, COALESCE(c.call_date, substr(c.processed_at, 1, 10)) AS day, "
            "f.id AS flag_id, f.category, f.rule, f.severity, f.speaker, f.start, f.end, "
            "f.evidence, f.matched, f.review_status "
            "FROM flags f JOIN calls c ON c.id = f.call_id WHERE "
            + " AND ".join(where)
            + " ORDER BY c.passed ASC, c.score ASC, c.id, f.start"
        )
        calls: dict[str, dict[str, Any]] = {}
        for r in self.db.query(sql, params):
            entry = calls.get(r["call_id"])
            if entry is None:
                if limit is not None and len(calls) >= limit:
                    break
                entry = calls[r["call_id"]] = {
                    k: r[k]
                    for k in (
                        "call_id",
                        "path",
                        "score",
                        "passed",
                        "agent_id",
                        "call_start",
                        "duration_s",
                        "day",
                    )
                }
                entry["flags"] = []
            entry["flags"].append(
                {
                    k: r[k]
                    for k in (
                        "flag_id",
                        "category",
                        "rule",
                        "severity",
                        "speaker",
                        "start",
                        "end",
                        "evidence",
                        "matched",
                        "review_status",
                    )
                }
            )
        return list(calls.values())

    def search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        """Utterances containing every whitespace-separated term of ``text``.

        Terms of three or more characters go through the trigram FTS index; shorter terms
        (most two-character Chinese words) fall back to a LIKE scan of the utterance text.
        """
        terms = [t for t in text.split() if t]
        if not terms:
            return []
        select = (
            "SELECT u.call_id, c.path, u.speaker, u.start, u.end, u.text "
            "FROM utterances u JOIN calls c ON c.id = u.call_id "
        )
        if all(len(t) >= 3 for t in terms):
            query = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
            sql = (
                select + "WHERE u.id IN (SELECT rowid FROM utterances_fts "
                "WHERE utterances_fts MATCH ?) ORDER BY c.path, u.start LIMIT ?"
            )
            params: list[Any] = [query, limit]
        else:
            likes = []
            params = []
            for t in terms:
                likes.append("u.text LIKE ? ESCAPE '\\'")
                params.append(
                    "%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                )
            sql = select + "WHERE " + " AND ".join(likes) + " ORDER BY c.path, u.start LIMIT ?"
            params.append(limit)
        return list(self.db.query(sql, params))


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
