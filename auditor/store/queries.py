"""Read queries over the store: the flagged-calls listing, search, review figures, the report.

Why in the store package: every SQL statement of the auditor lives here or in
``auditor.store.db``, so the review page, ``auditor flagged`` and the morning report read the
same tables the same way, and a schema change is made in one package. Each function takes the
``sqlite_utils.Database`` of an open :class:`~auditor.store.db.Store` and returns plain rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

DAY = "COALESCE(c.call_date, substr(c.processed_at, 1, 10))"
"""A call's day: its date from the metadata, or the date it was processed when there is none."""
UNKNOWN_AGENT = "(no agent id)"
# review state asked for -> the condition on the flag's review status
_STATE_SQL = {
    "all": "",
    "unreviewed": " AND f.review_status = 'unreviewed'",
    "reviewed": " AND f.review_status != 'unreviewed'",
    "confirmed": " AND f.review_status = 'confirmed'",
    "false_alarm": " AND f.review_status = 'false_alarm'",
}
REVIEW_STATES = tuple(_STATE_SQL)
# certainty asked for -> the condition on the flag's ``uncertain`` column
_CERTAINTY_SQL = {
    "all": "",
    "certain": " AND COALESCE(f.uncertain, 0) = 0",
    "uncertain": " AND COALESCE(f.uncertain, 0) = 1",
}
CERTAINTIES = tuple(_CERTAINTY_SQL)
_CALL_COLUMNS = (
    "call_id", "path", "score", "passed", "agent_id", "call_start", "duration_s", "day",
    "result", "promise_amount", "promise_due", "promise_status", "outcome_uncertain",
    "promise_confidence", "uncertain_reasons",
)
_FLAG_COLUMNS = (
    "flag_id",
    "category",
    "rule",
    "severity",
    "speaker",
    "start",
    "end",
    "evidence",
    "matched",
    "uncertain",
    "review_status",
    "reviewer",
)


@dataclass(frozen=True)
class FlagFilter:
    """Which flags a listing shows; empty fields do not filter.

    Informational flags (severity ``info``) are left out unless ``severity`` or ``category``
    asks for them. ``state`` is one of :data:`REVIEW_STATES`, ``certainty`` one of
    :data:`CERTAINTIES` (only flags whose evidence can be trusted, only uncertain ones, or all).
    """

    category: str | None = None
    severity: str | None = None
    agent: str | None = None
    day: str | None = None
    state: str = "all"
    certainty: str = "all"


def _where(filt: FlagFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (without the review state) of a flag listing and its parameters."""
    where = ["c.status = 'ok'"]
    params: list[Any] = []
    if filt.severity:
        where.append("f.severity = ?")
        params.append(filt.severity)
    elif not filt.category:
        where.append("f.severity != 'info'")
    if filt.category:
        where.append("f.category = ?")
        params.append(filt.category)
    if filt.agent:
        where.append("c.agent_id = ?")
        params.append(filt.agent)
    if filt.day:
        where.append(f"{DAY} = ?")
        params.append(filt.day)
    return " AND ".join(where) + _CERTAINTY_SQL[filt.certainty], params


def flagged_calls(
    db: sqlite_utils.Database, filt: FlagFilter, limit: int | None = None
) -> list[dict[str, Any]]:
    """Calls with a flag matching ``filt``: certain before uncertain, then worst first.

    A call with at least one matching *certain* flag comes before every call whose matching
    flags are all ``uncertain`` (evidence on low-confidence text or an unsettled speaker: worth
    a listen, but after what can be believed); within each group, failed verdict first, then
    lowest score. Each entry has the call's columns (``call_id``, ``path``, ``score``,
    ``passed``, ``agent_id``, ``call_start``, ``duration_s``, ``day``), its outcome columns
    (``result``, ``promise_amount``, ``promise_due``, ``promise_status``, ``outcome_uncertain``
    (bool or None), ``promise_confidence``, ``uncertain_reasons``) and ``flags``: the
    matching flags, certain ones first, each group in time order, each with its ``flag_id``,
    spec fields, ``uncertain`` (bool) and ``review_status``/``reviewer``. This one query serves
    both ``auditor flagged`` and the review page's queue.
    """
    base, params = _where(filt)
    sql = (
        "SELECT c.id AS call_id, c.path, c.score, c.passed, c.agent_id, c.call_start, "
        f"c.duration_s, {DAY} AS day, c.result, c.promise_amount, c.promise_due, "
        "c.promise_status, c.outcome_uncertain, c.promise_confidence, c.uncertain_reasons, "
        "f.id AS flag_id, f.category, f.rule, f.severity, "
        "f.speaker, f.start, f.end, f.evidence, f.matched, COALESCE(f.uncertain, 0) AS uncertain, "
        "f.review_status, f.reviewer, "
        # 1 when every matching flag of the call is uncertain: such calls go after the others
        "MIN(COALESCE(f.uncertain, 0)) OVER (PARTITION BY c.id) AS only_uncertain "
        f"FROM flags f JOIN calls c ON c.id = f.call_id WHERE {base}{_STATE_SQL[filt.state]} "
        "ORDER BY only_uncertain ASC, c.passed ASC, c.score ASC, c.id, "
        "COALESCE(f.uncertain, 0) ASC, f.start"
    )
    calls: dict[str, dict[str, Any]] = {}
    for r in db.query(sql, params):
        entry = calls.get(r["call_id"])
        if entry is None:
            if limit is not None and len(calls) >= limit:
                break
            entry = calls[r["call_id"]] = {k: r[k] for k in _CALL_COLUMNS}
            if entry["outcome_uncertain"] is not None:
                entry["outcome_uncertain"] = bool(entry["outcome_uncertain"])
            entry["flags"] = []
        flag = {k: r[k] for k in _FLAG_COLUMNS}
        flag["uncertain"] = bool(flag["uncertain"])
        entry["flags"].append(flag)
    return list(calls.values())


def unreviewed_left(db: sqlite_utils.Database, filt: FlagFilter) -> tuple[int, int]:
    """Unreviewed flags matching ``filt`` (its review state aside) and the calls that have one."""
    base, params = _where(filt)
    row = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT f.call_id) FROM flags f JOIN calls c ON c.id = f.call_id "
        f"WHERE {base} AND f.review_status = 'unreviewed'",
        params,
    ).fetchone()
    return int(row[0]), int(row[1])


def flags_of_calls(
    db: sqlite_utils.Database, call_ids: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Every flag of each call (category, rule, severity, review status), by call id."""
    ids = list(call_ids)
    per_call: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return per_call
    marks = ",".join("?" * len(ids))
    for r in db.query(
        "SELECT call_id, category, rule, severity, review_status FROM flags "
        f"WHERE call_id IN ({marks})",
        ids,
    ):
        per_call[r["call_id"]].append(r)
    return per_call


def flag_review(db: sqlite_utils.Database, flag_id: int) -> dict[str, Any] | None:
    """One flag's call, category, rule, severity and stored review; ``None`` if there is none."""
    rows = list(
        db.query(
            "SELECT id, call_id, category, rule, severity, review_status, reviewer, comment, "
            "reviewed_at FROM flags WHERE id = ?",
            [flag_id],
        )
    )
    return rows[0] if rows else None


def facet_values(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Distinct categories, severities, agents and days present, for filter menus."""

    def distinct(sql: str) -> list[str]:
        return [r[0] for r in db.execute(sql).fetchall() if r[0] not in (None, "")]

    return {
        "category": distinct("SELECT DISTINCT category FROM flags ORDER BY category"),
        "severity": distinct("SELECT DISTINCT severity FROM flags"),
        "agent": distinct("SELECT DISTINCT agent_id FROM calls ORDER BY agent_id"),
        "date": distinct(f"SELECT DISTINCT {DAY} AS d FROM calls c ORDER BY d DESC"),
    }


def flag_counts(db: sqlite_utils.Database, by: Sequence[str]) -> list[dict[str, Any]]:
    """Flags grouped by the flag columns ``by``: flags, calls, confirmed, false alarms, unreviewed.

    Most flags first (ties in the order of ``by``). Serves the per-rule false-alarm figures and
    the report's flags per category.
    """
    cols = ", ".join(by)
    sql = (
        f"SELECT {cols}, COUNT(*) AS flags, COUNT(DISTINCT call_id) AS calls, "
        "SUM(review_status = 'confirmed') AS confirmed, "
        "SUM(review_status = 'false_alarm') AS false_alarms, "
        "SUM(review_status = 'unreviewed') AS unreviewed "
        f"FROM flags GROUP BY {cols} ORDER BY flags DESC, {cols}"
    )
    return list(db.query(sql))


def search_utterances(
    db: sqlite_utils.Database, text: str, limit: int = 50
) -> list[dict[str, Any]]:
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
    return list(db.query(sql, params))


def frequency_group(
    db: sqlite_utils.Database, call_id: str, debtor_id: str | None, day: str | None
) -> list[dict[str, Any]]:
    """The other stored calls the per-debtor-per-day rule must look at when ``call_id`` is saved.

    Those of debtor ``debtor_id`` on ``day`` and those of the group the call is stored in now
    (a reprocessed call may have moved), ``call_id`` itself left out. Each row has ``id``,
    ``debtor_id``, ``call_date``, ``call_start``, ``duration_s`` and the stored ``card``.
    """
    groups = []
    prev = db.execute("SELECT debtor_id, call_date FROM calls WHERE id = ?", [call_id]).fetchone()
    if prev and prev[0] and prev[1]:
        groups.append((prev[0], prev[1]))
    if debtor_id and day and (debtor_id, day) not in groups:
        groups.append((debtor_id, day))
    rows = []
    for debtor, date in groups:
        for r in db.query(
            "SELECT id, debtor_id, call_date, call_start, duration_s, scorecard FROM calls "
            "WHERE debtor_id = ? AND call_date = ? AND id != ?",
            [debtor, date, call_id],
        ):
            r["card"] = json.loads(r.pop("scorecard"))
            rows.append(r)
    return rows


# ---------------------------------------------------------------- the morning report


def report_totals(db: sqlite_utils.Database) -> dict[str, Any]:
    """Calls, audited, failed, passed, mean score and audio seconds over the whole store."""
    row = next(
        db.query(
            "SELECT COUNT(*) AS calls, SUM(status = 'ok') AS ok, SUM(status = 'failed') AS failed, "
            "SUM(status = 'ok' AND passed = 1) AS passed, AVG(CASE WHEN status = 'ok' "
            "THEN score END) AS mean_score, SUM(CASE WHEN status = 'ok' THEN duration_s END) "
            "AS audio_s FROM calls"
        )
    )
    return {k: (v or 0) for k, v in row.items()}


_NOT_INFO = "!= 'info'"
_CRITICAL = "= 'critical'"


def _flags_where(match: str, severity: str) -> str:
    """A sub-select counting the flags of the calls ``c2`` that ``match``, by severity."""
    return (
        "(SELECT COUNT(*) FROM flags f JOIN calls c2 ON c2.id = f.call_id "
        f"WHERE {match} AND f.severity {severity})"
    )


def report_agents(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per agent (audited calls): calls, passed, mean score, flags and critical flags."""
    same_agent = "COALESCE(c2.agent_id, ?) = COALESCE(c.agent_id, ?) AND c2.status = 'ok'"
    sql = (
        "SELECT COALESCE(c.agent_id, ?) AS agent, COUNT(*) AS calls, "
        "SUM(c.passed = 1) AS passed, AVG(c.score) AS mean_score, "
        f"{_flags_where(same_agent, _NOT_INFO)} AS flags, "
        f"{_flags_where(same_agent, _CRITICAL)} AS critical "
        "FROM calls c WHERE c.status = 'ok' GROUP BY agent ORDER BY mean_score ASC, agent"
    )
    return list(db.query(sql, [UNKNOWN_AGENT] * 5))


def report_days(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per day: calls, audited, passed, failed and flags."""
    same_day = (
        "COALESCE(c2.call_date, substr(c2.processed_at, 1, 10)) = "
        "COALESCE(calls.call_date, substr(calls.processed_at, 1, 10))"
    )
    sql = (
        "SELECT COALESCE(call_date, substr(processed_at, 1, 10)) AS day, COUNT(*) AS calls, "
        "SUM(status = 'ok') AS ok, SUM(status = 'ok' AND passed = 1) AS passed, "
        f"SUM(status = 'failed') AS failed, {_flags_where(same_day, _NOT_INFO)} AS flags "
        "FROM calls GROUP BY day ORDER BY day"
    )
    return list(db.query(sql))


def agent_metric(db: sqlite_utils.Database, name: str) -> list[float]:
    """One agent metric (e.g. ``speech_rate_cpm``) of every audited call."""
    return [
        r["value"]
        for r in db.query(
            "SELECT m.value FROM metrics m JOIN calls c ON c.id = m.call_id "
            "WHERE c.status = 'ok' AND m.scope = 'agent' AND m.name = ?",
            [name],
        )
    ]


def talk_ratios(db: sqlite_utils.Database) -> list[float]:
    """The agent's share of the talk time of every audited call where anyone talked."""
    return [
        r["ratio"]
        for r in db.query(
            "SELECT a.value / (a.value + cu.value) AS ratio FROM metrics a "
            "JOIN metrics cu ON cu.call_id = a.call_id AND cu.scope = 'customer' "
            "AND cu.name = 'talk_s' JOIN calls c ON c.id = a.call_id "
            "WHERE c.status = 'ok' AND a.scope = 'agent' AND a.name = 'talk_s' "
            "AND a.value + cu.value > 0"
        )
    ]


def failure_reasons(db: sqlite_utils.Database, limit: int = 10) -> list[dict[str, Any]]:
    """The commonest reasons calls could not be audited, with how many calls each."""
    return list(
        db.query(
            "SELECT error, COUNT(*) AS calls FROM calls WHERE status = 'failed' "
            "GROUP BY error ORDER BY calls DESC LIMIT ?",
            [limit],
        )
    )



# ---------------------------------------------------------------- spot checks and misses

UNFLAGGED = (
    "c.status = 'ok' AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.call_id = c.id "
    "AND f.severity != 'info')"
)
"""A call that raised no flag (informational ones aside): what a spot check samples."""


def unflagged_calls(db: sqlite_utils.Database, since: str | None = None) -> list[dict[str, Any]]:
    """Audited calls that raised no flag and are not spot checks yet, with agent and day.

    ``since`` (YYYY-MM-DD) keeps the calls of that day and later. Ordered by id, so a seeded
    sample draws the same calls from the same database.
    """
    sql = (
        f"SELECT c.id AS call_id, c.agent_id, {DAY} AS day FROM calls c WHERE {UNFLAGGED} "
        "AND c.id NOT IN (SELECT call_id FROM spot_checks)"
    )
    params: list[Any] = []
    if since:
        sql += f" AND {DAY} >= ?"
        params.append(since)
    return list(db.query(sql + " ORDER BY c.id", params))


def spot_check_calls(
    db: sqlite_utils.Database, agent: str | None, day: str | None, checked: bool | None
) -> list[dict[str, Any]]:
    """Spot-checked calls for the queue (open ones first, then by day), with their check.

    ``checked`` True/False keeps only checked/open ones; None keeps both.
    """
    where = ["1 = 1"]
    params: list[Any] = []
    if agent:
        where.append("c.agent_id = ?")
        params.append(agent)
    if day:
        where.append(f"{DAY} = ?")
        params.append(day)
    if checked is True:
        where.append("s.checked_at IS NOT NULL")
    elif checked is False:
        where.append("s.checked_at IS NULL")
    sql = (
        "SELECT c.id AS call_id, c.path, c.score, c.passed, c.agent_id, c.duration_s, "
        f"{DAY} AS day, s.sampled_at, s.checked_by, s.checked_at, "
        "(SELECT COUNT(*) FROM missed m WHERE m.call_id = c.id) AS missed "
        "FROM spot_checks s JOIN calls c ON c.id = s.call_id WHERE "
        + " AND ".join(where)
        + " ORDER BY s.checked_at IS NOT NULL, day DESC, c.id"
    )
    return list(db.query(sql, params))


def recall_inputs(db: sqlite_utils.Database) -> dict[str, Any]:
    """The counts recall per category is estimated from, as plain numbers.

    ``unflagged``: audited calls that raised no flag now (the population spot checks sample);
    ``checked``: spot checks a reviewer finished whose call is still unflagged;
    ``missed_sampled[c]``: those checked calls with a missed violation of category ``c``;
    ``missed_flagged[c]``: flagged calls with a missed violation of ``c`` (counted as found;
    a mark on an unflagged call outside the checked sample is left out, as the sample stands
    for it);
    ``confirmed[c]``: calls with a confirmed flag of ``c``; ``unreviewed[c]``: calls with a
    flag of ``c`` not reviewed yet; ``flags[c]``/``flag_confirmed[c]``/``flag_false[c]``:
    flags of ``c`` in all, confirmed and false alarms.
    """
    unflagged = db.execute(f"SELECT COUNT(*) FROM calls c WHERE {UNFLAGGED}").fetchone()[0]
    checked_ids = (
        f"SELECT s.call_id FROM spot_checks s JOIN calls c ON c.id = s.call_id "
        f"WHERE s.checked_at IS NOT NULL AND {UNFLAGGED}"
    )
    checked = db.execute(f"SELECT COUNT(*) FROM ({checked_ids})").fetchone()[0]

    def per_category(sql: str) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in db.execute(sql).fetchall()}

    return {
        "unflagged": int(unflagged),
        "checked": int(checked),
        "missed_sampled": per_category(
            "SELECT category, COUNT(DISTINCT call_id) FROM missed "
            f"WHERE call_id IN ({checked_ids}) GROUP BY category"
        ),
        "missed_flagged": per_category(
            "SELECT category, COUNT(DISTINCT call_id) FROM missed WHERE call_id NOT IN "
            f"(SELECT c.id FROM calls c WHERE {UNFLAGGED}) GROUP BY category"
        ),
        "confirmed": per_category(
            "SELECT category, COUNT(DISTINCT call_id) FROM flags "
            "WHERE review_status = 'confirmed' GROUP BY category"
        ),
        "unreviewed": per_category(
            "SELECT category, COUNT(DISTINCT call_id) FROM flags "
            "WHERE review_status = 'unreviewed' GROUP BY category"
        ),
        "flags": per_category("SELECT category, COUNT(*) FROM flags GROUP BY category"),
        "flag_confirmed": per_category(
            "SELECT category, COUNT(*) FROM flags WHERE review_status = 'confirmed' "
            "GROUP BY category"
        ),
        "flag_false": per_category(
            "SELECT category, COUNT(*) FROM flags WHERE review_status = 'false_alarm' "
            "GROUP BY category"
        ),
    }


# ---------------------------------------------------------------- outcome (what calls achieved)

OUTCOME_COLUMNS = ("result", "promise_amount", "promise_due", "emotion", "complaint_threat",
                   "promise_status", "outcome_uncertain", "promise_confidence",
                   "uncertain_reasons")
"""The ``calls`` columns of the outcome: migration 4 made the first six, migration 8 the
uncertainty (``outcome_uncertain`` 1 when the promise rests on weak evidence, the promise's
``confidence`` and its ``uncertain_reasons`` joined by commas)."""
NO_RIGHT_PARTY = ("wrong_party", "no_contact")
"""Results that are not a right-party contact."""
HANDLING_CATEGORY = "info_agent_handling"


def outcome_columns(card: dict[str, Any]) -> dict[str, Any]:
    """The ``calls`` row's outcome columns from a scorecard (all None without an outcome).

    ``promise_status`` starts ``pending`` for a promise; a payments file decides it later
    (:func:`set_promise_status`). ``outcome_uncertain`` is the outcome's ``uncertain`` (or the
    promise's, on a card made before the outcome carried it).
    """
    outcome = card.get("outcome") if isinstance(card, dict) else None
    if not isinstance(outcome, dict):
        return {k: None for k in OUTCOME_COLUMNS}
    promise = outcome.get("promise") or {}
    customer = outcome.get("customer") or {}
    threat = customer.get("complaint_threat")
    uncertain = outcome.get("uncertain", promise.get("uncertain"))
    reasons = [str(r) for r in promise.get("uncertain_reasons") or []]
    return {
        "result": outcome.get("result"),
        "promise_amount": promise.get("amount"),
        "promise_due": promise.get("due"),
        "emotion": customer.get("emotion"),
        "complaint_threat": None if threat is None else int(bool(threat)),
        "promise_status": "pending" if outcome.get("promise") else None,
        "outcome_uncertain": None if uncertain is None else int(bool(uncertain)),
        "promise_confidence": promise.get("confidence"),
        "uncertain_reasons": ",".join(reasons) or None,
    }


def calls_with_result(db: sqlite_utils.Database, result: str) -> set[str]:
    """Ids of the audited calls whose outcome is ``result`` (e.g. ``promise_to_pay``)."""
    return {r["id"] for r in db.query(
        "SELECT id FROM calls WHERE status = 'ok' AND result = ?", [result])}


def promises(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every stored promise to pay: call id, debtor id, amount, due date, call start, status."""
    return list(db.query(
        "SELECT id AS call_id, debtor_id, promise_amount AS amount, promise_due AS due, "
        "call_start, promise_status AS status FROM calls "
        "WHERE status = 'ok' AND result = 'promise_to_pay' ORDER BY call_start, id"))


def set_promise_status(db: sqlite_utils.Database, statuses: dict[str, str]) -> int:
    """Write each call's promise status (pending / kept / broken); returns the rows changed."""
    n = 0
    with db.atomic():
        for call_id, status in statuses.items():
            n += db.execute("UPDATE calls SET promise_status = ? WHERE id = ? AND "
                            "COALESCE(promise_status, '') != ?",
                            [status, call_id, status]).rowcount
    return n


def report_outcomes(db: sqlite_utils.Database, by: str = "agent") -> list[dict[str, Any]]:
    """Per agent or campaign (audited calls with an outcome): what the calls achieved.

    Rows: ``key``, ``calls``, ``right_party`` (not wrong party, not no contact), ``promises``,
    ``uncertain_promises`` (those resting on weak evidence: worth a listen before counting),
    ``promised`` (yuan), ``hostile``, ``answered`` (calls somebody answered), ``kept``,
    ``broken``, ``pending``, ``handled_calm`` and ``in_kind`` (the coaching flag's two rules).
    """
    column = {"agent": "agent_id", "campaign": "campaign"}[by]
    unknown = UNKNOWN_AGENT if by == "agent" else "(no campaign)"
    not_rpc = ", ".join(f"'{r}'" for r in NO_RIGHT_PARTY)
    sql = (
        f"SELECT COALESCE(c.{column}, ?) AS key, COUNT(*) AS calls, "
        f"SUM(c.result NOT IN ({not_rpc})) AS right_party, "
        "SUM(c.result = 'promise_to_pay') AS promises, "
        "SUM(c.result = 'promise_to_pay' AND COALESCE(c.outcome_uncertain, 0) = 1) "
        "AS uncertain_promises, "
        "SUM(CASE WHEN c.result = 'promise_to_pay' THEN c.promise_amount END) AS promised, "
        "SUM(c.emotion = 'hostile') AS hostile, SUM(c.result != 'no_contact') AS answered, "
        "SUM(c.promise_status = 'kept') AS kept, SUM(c.promise_status = 'broken') AS broken, "
        "SUM(c.promise_status = 'pending') AS pending, "
        "SUM((SELECT COUNT(*) FROM flags f WHERE f.call_id = c.id AND f.category = ? "
        "AND f.rule LIKE '%.calm')) AS handled_calm, "
        "SUM((SELECT COUNT(*) FROM flags f WHERE f.call_id = c.id AND f.category = ? "
        "AND f.rule LIKE '%.in_kind')) AS in_kind "
        "FROM calls c WHERE c.status = 'ok' AND c.result IS NOT NULL GROUP BY key ORDER BY key"
    )
    rows = list(db.query(sql, [unknown, HANDLING_CATEGORY, HANDLING_CATEGORY]))
    for r in rows:
        for k, v in r.items():
            if v is None and k != "key":
                r[k] = 0
    return rows
