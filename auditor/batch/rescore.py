"""Re-score history after a rule change, and try a pack change on history: no audio decoded.

Why: rules keep changing, and decoding every recording again to bring old calls up to date
takes as long as the batch did. Everything after the recogniser is a function of what the store
already keeps: the utterances with their measures (rate, loudness, pitch) and the call's
metrics (silences, overlaps, pitch spread). So a stored call is re-judged from its scorecard:

1. delivery flags from the stored measures and metrics (``voice.delivery.delivery_flags``);
2. the rules and script steps over the stored transcript (``compliance.audit``);
3. the outcome block, when the stored card has one and ``auditor.outcome`` provides it;
4. enrichment as the batch does it (``batch.enrich``: redaction, metadata, the per-day rule)
   and ONE scoring.

Flags no stage here raises (none today) are kept as stored. On a redacted call the personal
numbers are masked in the stored text, so the number detectors cannot run again: their stored
flags are kept while their rule exists.

``rescore`` writes each call in its own transaction (``Store.save_rescored``), keeping the row
and the verdict of every flag raised again (same rule, same utterance), and records the rules
version on the call: a second run skips what the first did (resumable) and, forced, changes
nothing (idempotent). ``rules_test`` runs the current rules and a changed pack set side by side
over the stored calls and the reviewed verdicts, and writes nothing.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from auditor.batch import enrich
from auditor.batch import metadata as md
from auditor.compliance.rulepack import INFO_PREFIX, pack_files
from auditor.compliance.rules import BUILTIN_DIR, RuleSet, load_rules
from auditor.core.scorecard import Measures
from auditor.core.vocab import CATEGORIES
from auditor.store import queries
from auditor.store.db import CardChanged, Store, StoreError, flag_key

# The utterance fields that are measures (core.scorecard.Measures), not the line itself.
_MEASURE_FIELDS = ("speaking_s", "rate_cpm", "loudness_dbfs", "pitch_hz", "syllables_text",
                   "syllables_audio", "rate_source")
# Flags the enrichment derives again (metadata join, per-day rule).
_ENRICHED = (md.CALL_HOURS, md.CALL_FREQUENCY)
FlagKey = tuple[Any, Any, Any, Any]


class RescoreError(StoreError):
    """A rescore or rules test cannot run as asked; the message says why."""


# ---------------------------------------------------------------- re-judging one card


def _outcome_api() -> tuple[Callable[..., Any] | None, Callable[..., Any] | None, str | None]:
    """``extract_outcome``, ``handling_flags`` and the handling category, if the package has
    them (the outcome stage may not be wired into every build)."""
    try:
        mod = importlib.import_module("auditor.outcome")
    except ImportError:
        return None, None, None
    handling = getattr(mod, "handling_flags", None)
    category = None
    if handling is not None:
        category = getattr(importlib.import_module("auditor.outcome.handling"), "CATEGORY", None)
    return getattr(mod, "extract_outcome", None), handling, category


def stored_measures(utterances: Sequence[Mapping[str, Any]]) -> list[Measures] | None:
    """The utterances' measures as the analysis made them, or None when any line has none
    (a transcript audited without audio)."""
    if not utterances or any("speaking_s" not in u for u in utterances):
        return None
    return [Measures(**{k: u.get(k) for k in _MEASURE_FIELDS}) for u in utterances]


def stored_meta(row: Mapping[str, Any], card: Mapping[str, Any]) -> md.CallMeta | None:
    """The call's metadata as the batch joined it, from the row's columns and the card."""
    cols = {k: row.get(k) for k in ("agent_id", "debtor_id", "campaign", "call_start")}
    connected = (card.get("metadata") or {}).get("connected")
    if all(v is None for v in cols.values()) and connected is None:
        return None
    start = datetime.fromisoformat(cols["call_start"]) if cols["call_start"] else None
    return md.CallMeta(file=str(row.get("path") or ""), call_start=start,
                       agent_id=cols["agent_id"], debtor_id=cols["debtor_id"],
                       campaign=cols["campaign"],
                       connected=None if connected is None else bool(connected))


class Rescorer:
    """One rule set with the delivery thresholds, loaded once, re-judging stored scorecards."""

    def __init__(self, rules: RuleSet) -> None:
        from auditor.analysis import rules_version
        from auditor.voice.delivery import load_thresholds

        self.rules = rules
        self.version = rules_version(rules)
        self.thresholds = load_thresholds(None)
        self._detector_rules = {r.id for r in rules.rules if r.detector}
        self._extract, self._handling, self._handling_category = _outcome_api()
        # Where the analysis makes the outcome itself, the rescore makes it the same way.
        self._outcome_of = getattr(importlib.import_module("auditor.analysis"), "outcome_of",
                                   None)
        self._outcome_config = None
        if self._outcome_of is not None:
            from auditor.outcome import load_config as load_outcome_config

            self._outcome_config = load_outcome_config()

    def _recomputed(self, flag: Mapping[str, Any], outcome: bool) -> bool:
        """Whether a stored flag is one this rescore raises again (or drops)."""
        rule = str(flag.get("rule") or "")
        category = flag.get("category")
        if category == self._handling_category:
            return outcome
        return (rule.startswith(("delivery.", "step.", "steps.")) or category in CATEGORIES
                or str(category).startswith(INFO_PREFIX)  # a pack's informational category
                or category in _ENRICHED)

    def judge(self, card: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
        """The card with delivery, rule and step flags (and outcome) derived again, unscored
        and not yet enriched. ``row`` is the call's ``calls`` row (``redacted``, metadata)."""
        from auditor.compliance.audit import audit_utterances
        from auditor.voice.delivery import delivery_flags

        out = json.loads(json.dumps(card, ensure_ascii=False))
        utts = out.get("utterances") or []
        layout = out.get("layout") or "mono"
        measures = stored_measures(utts)
        flags: list[dict[str, Any]] = []
        if measures is not None:
            flags.extend(delivery_flags(out.get("metrics") or {}, utts, layout, self.thresholds,
                                        measures))
        rule_flags, steps = audit_utterances(utts, self.rules)
        flags.extend(rule_flags)
        stored = out.get("flags") or []
        if row.get("redacted"):  # masked numbers cannot be detected again: keep what was found
            flags.extend(f for f in stored if f.get("rule") in self._detector_rules)
        outcome, handling = self._outcome(out, utts, measures, row)
        flags.extend(handling)
        flags.sort(key=lambda f: (f.get("start") or 0.0, f["category"]))
        flags.extend(f for f in stored if not self._recomputed(f, outcome is not None))
        if outcome is not None:
            out["outcome"] = outcome
        out["flags"] = flags
        out["steps"] = steps
        out["rules_version"] = self.version
        return out

    def _outcome(self, card: Mapping[str, Any], utts: list[dict[str, Any]],
                 measures: list[Measures] | None, row: Mapping[str, Any]
                 ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The outcome block and the handling flags: as the analysis makes them where it does
        (``analysis.outcome_of``, once, with the dates resolved against the stored call start;
        the enrichment does not extract it again), else from ``auditor.outcome`` for a card
        that has an outcome; else none."""
        if self._outcome_of is not None:
            return self._outcome_of(utts, measures, row.get("call_start"), self._outcome_config)
        if "outcome" in card and self._extract is not None:
            outcome = self._extract(utts, call_start=row.get("call_start"))
            return outcome, list(self._handling(utts, outcome)) if self._handling else []
        return None, []

    def rescore_card(self, card: Mapping[str, Any], row: Mapping[str, Any],
                     group: Iterable[Mapping[str, Any]] = ()) -> enrich.Enriched:
        """The card judged again, enriched (metadata, redaction, per-day rule) and scored."""
        judged = self.judge(card, row)
        meta = stored_meta(row, card)
        return enrich.enrich(judged, call_id=str(row["id"]), path=str(row.get("path") or ""),
                             meta=meta, redact=bool(row.get("redacted")), group=group)


# ---------------------------------------------------------------- what changed


@dataclass
class RuleDiff:
    """Per rule: flags that appeared and disappeared, with a few examples."""

    appeared: Counter[str] = field(default_factory=Counter)
    disappeared: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, rule: str, kind: str, example: dict[str, Any], keep: int = 3) -> None:
        """Count one appeared or disappeared flag of ``rule`` and keep it as an example."""
        (self.appeared if kind == "new" else self.disappeared)[rule] += 1
        shown = self.examples.setdefault(f"{kind}:{rule}", [])
        if len(shown) < keep:
            shown.append(example)

    def rules(self) -> list[str]:
        """Every rule that changed, most changes first."""
        total = self.appeared + self.disappeared
        return sorted(total, key=lambda r: (-total[r], r))

    def as_rows(self) -> list[dict[str, Any]]:
        """One row per rule: rule, appeared, disappeared, new and lost examples."""
        return [{"rule": r, "appeared": self.appeared[r], "disappeared": self.disappeared[r],
                 "new_examples": self.examples.get(f"new:{r}", []),
                 "lost_examples": self.examples.get(f"lost:{r}", [])} for r in self.rules()]


def _example(call_id: str, flag: Mapping[str, Any]) -> dict[str, Any]:
    return {"call_id": call_id, "start": flag.get("start"), "end": flag.get("end"),
            "speaker": flag.get("speaker"), "evidence": flag.get("evidence")}


@dataclass
class RescoreSummary:
    """What ``rescore`` did: per-rule changes, verdict changes, lost verdicts, timing."""

    rules_version: str
    considered: int = 0
    rescored: int = 0
    changed: int = 0
    flags_changed: int = 0
    skipped: int = 0
    not_audited: int = 0
    wall_s: float = 0.0
    diff: RuleDiff = field(default_factory=RuleDiff)
    verdict_changes: list[dict[str, Any]] = field(default_factory=list)
    lost_verdicts: list[dict[str, Any]] = field(default_factory=list)
    kept_verdicts: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {"rules_version": self.rules_version, "considered": self.considered,
                "rescored": self.rescored, "changed": self.changed,
                "flags_changed": self.flags_changed, "skipped": self.skipped,
                "not_audited": self.not_audited, "wall_s": round(self.wall_s, 3),
                "rules": self.diff.as_rows(), "pass_fail_changes": self.verdict_changes,
                "lost_verdicts": self.lost_verdicts, "kept_verdicts": self.kept_verdicts}


def _keys(flags: Iterable[Mapping[str, Any]]) -> Counter[FlagKey]:
    return Counter(flag_key(f) for f in flags)


def _calls_sql(since: str | None, columns: str) -> tuple[str, list[Any]]:
    sql = f"SELECT {columns} FROM calls"
    params: list[Any] = []
    if since:
        sql += " WHERE COALESCE(call_date, substr(processed_at, 1, 10)) >= ?"
        params.append(since)
    return sql + " ORDER BY COALESCE(call_start, processed_at), id", params


_ROW_COLUMNS = ("id, path, status, rules_version, redacted, agent_id, debtor_id, campaign, "
                "call_start, call_date, passed, score")


def load_rule_set(rules_dirs: Iterable[str | Path] = ()) -> RuleSet:
    """The active rules: the built-in packs plus ``rules_dirs`` (as ``auditor run`` loads
    them)."""
    from auditor.compliance.rulepack import RulePackError

    try:
        return load_rules(extra_dirs=[Path(d) for d in rules_dirs])
    except RulePackError as exc:
        raise RescoreError(str(exc)) from exc


def rescore(
    store: Store,
    rules_dirs: Iterable[str | Path] = (),
    *,
    since: str | None = None,
    force: bool = False,
    rules: RuleSet | None = None,
    workers: int = 1,
    on_call: Callable[[str, bool], None] | None = None,
) -> RescoreSummary:
    """Apply the current rules to every stored call (since ``since``, a ``YYYY-MM-DD`` call
    date), one transaction per call; returns what changed.

    A call already at the current rules version is skipped unless ``force``. Failed calls have
    no transcript and are left alone. With ``workers`` > 1 the calls are judged in that many
    processes and written here, one at a time (a single writer, as in the batch).
    ``on_call(call_id, changed)`` follows each call written.
    """
    t0 = time.perf_counter()
    rescorer = Rescorer(rules or load_rule_set(rules_dirs))
    summary = RescoreSummary(rules_version=rescorer.version)
    sql, params = _calls_sql(since, _ROW_COLUMNS)
    pending = []
    for row in store.db.query(sql, params):
        summary.considered += 1
        if row["status"] != "ok":
            summary.not_audited += 1
        elif row["rules_version"] == rescorer.version and not force:
            summary.skipped += 1
        else:
            pending.append(row["id"])
    if workers > 1 and len(pending) > 1:
        _rescore_parallel(store, rescorer, pending, summary, on_call, workers)
    else:
        for call_id in pending:
            _rescore_one(store, rescorer, call_id, summary, on_call)
    summary.wall_s = time.perf_counter() - t0
    return summary


def _read(store: Store, call_id: str) -> tuple[dict[str, Any], str, list[dict[str, Any]]] | None:
    """A call's row, its scorecard text and its per-day group, or None if it is gone."""
    found = list(store.db.query(f"SELECT {_ROW_COLUMNS}, scorecard FROM calls WHERE id = ?",
                                [call_id]))
    if not found:
        return None
    row = found[0]
    text = row.pop("scorecard")
    return row, text, store.frequency_group(call_id, row["debtor_id"], row["call_date"])


def _rescore_one(store: Store, rescorer: Rescorer, call_id: str, summary: RescoreSummary,
                 on_call: Callable[[str, bool], None] | None, tries: int = 3) -> None:
    """Re-judge and write one call; if the batch rewrote it meanwhile, judge it again."""
    for attempt in range(tries):
        found = _read(store, call_id)
        if found is None:
            return
        row, text, group = found
        done = rescorer.rescore_card(json.loads(text), row, group)
        try:
            old, changed = store.save_rescored(call_id, done.card, rescorer.version,
                                               expected=text, regrouped=done.regrouped)
        except CardChanged:
            if attempt == tries - 1:
                raise
            continue
        _record(summary, row, old, done.card, changed)
        if on_call:
            on_call(call_id, changed)
        return


_WORKER: Rescorer | None = None


def _init_worker(rules: RuleSet) -> None:
    """A judging process: its rescorer, built once."""
    global _WORKER
    _WORKER = Rescorer(rules)


def _judge(text: str, row: dict[str, Any], group: list[dict[str, Any]]) -> enrich.Enriched:
    """Judge one call in a worker process (pure: nothing is read or written here)."""
    assert _WORKER is not None, "the worker was not initialised"
    return _WORKER.rescore_card(json.loads(text), row, group)


def _rescore_parallel(store: Store, rescorer: Rescorer, pending: list[str],
                      summary: RescoreSummary, on_call: Callable[[str, bool], None] | None,
                      workers: int) -> None:
    """Judge in ``workers`` processes, a few calls ahead; write each here as it comes back.

    A call the batch rewrote meanwhile, or one whose per-day group changed with it (judged
    against group cards that may be stale), is judged again here, in order.
    """
    import multiprocessing as mp

    global _WORKER
    fork = "fork" in mp.get_all_start_methods()
    # Forked workers inherit the loaded rescorer; spawned ones are sent the rules.
    init: dict[str, Any] = {} if fork else {"initializer": _init_worker,
                                            "initargs": (rescorer.rules,)}
    _WORKER = rescorer if fork else None
    todo = iter(pending)
    inflight: deque[tuple[dict[str, Any], str, Any]] = deque()
    try:
        _run_parallel(store, rescorer, todo, inflight, summary, on_call, workers,
                      mp.get_context("fork" if fork else "spawn"), init)
    finally:
        _WORKER = None


def _run_parallel(store: Store, rescorer: Rescorer, todo: Iterator[str],
                  inflight: deque[tuple[dict[str, Any], str, Any]], summary: RescoreSummary,
                  on_call: Callable[[str, bool], None] | None, workers: int, ctx: Any,
                  init: dict[str, Any]) -> None:
    """The loop of :func:`_rescore_parallel`: keep the workers fed, write what comes back."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=ctx, **init) as pool:

        def submit() -> None:
            for call_id in todo:
                found = _read(store, call_id)
                if found is not None:
                    row, text, group = found
                    inflight.append((row, text, pool.submit(_judge, text, row, group)))
                    return

        for _ in range(workers * 4):
            submit()
        while inflight:
            row, text, future = inflight.popleft()
            done = future.result()
            submit()
            if done.regrouped:
                _rescore_one(store, rescorer, row["id"], summary, on_call)
                continue
            try:
                old, changed = store.save_rescored(row["id"], done.card, rescorer.version,
                                                   expected=text)
            except CardChanged:
                _rescore_one(store, rescorer, row["id"], summary, on_call)
                continue
            _record(summary, row, old, done.card, changed)
            if on_call:
                on_call(row["id"], changed)


def _record(summary: RescoreSummary, row: Mapping[str, Any], old: list[dict[str, Any]],
            card: Mapping[str, Any], changed: bool) -> None:
    """Add one written call's differences to the summary."""
    call_id = str(row["id"])
    summary.rescored += 1
    summary.changed += int(changed)
    new_flags = list(card.get("flags") or [])
    old_keys = _keys(old)
    summary.flags_changed += int(old_keys != _keys(new_flags))
    for f in new_flags:
        if old_keys[flag_key(f)] > 0:
            old_keys[flag_key(f)] -= 1
        else:
            summary.diff.add(str(f.get("rule")), "new", _example(call_id, f))
    remaining = _keys(new_flags)
    for f in old:
        key = flag_key(f)
        if remaining[key] > 0:
            remaining[key] -= 1
            summary.kept_verdicts += int(f.get("review_status") != "unreviewed")
            continue
        summary.diff.add(str(f.get("rule")), "lost", _example(call_id, f))
        if f.get("review_status") not in (None, "unreviewed"):
            summary.lost_verdicts.append({
                "call_id": call_id, "path": row.get("path"), "rule": f.get("rule"),
                "start": f.get("start"), "end": f.get("end"), "verdict": f["review_status"],
                "reviewer": f.get("reviewer"), "comment": f.get("comment")})
    before = None if row.get("passed") is None else bool(row["passed"])
    after = None if card.get("passed") is None else bool(card["passed"])
    if before != after:
        summary.verdict_changes.append({
            "call_id": call_id, "path": row.get("path"), "passed_before": before,
            "passed_after": after, "score_before": row.get("score"),
            "score_after": card.get("score")})


# ---------------------------------------------------------------- the dry run of a pack change


def changed_rule_set(pack_dir: str | Path, rules_dirs: Iterable[str | Path] = ()) -> RuleSet:
    """The rules with the packs of ``pack_dir`` in force: a pack named like a built-in (or an
    extra) pack replaces it whole; any other pack is added."""
    from auditor.compliance.rulepack import RulePackError

    changed = pack_files(Path(pack_dir)) if Path(pack_dir).is_dir() else [Path(pack_dir)]
    if not changed or any(p.suffix != ".toml" for p in changed):
        raise RescoreError(f"{pack_dir} holds no .toml rule packs")
    names = {p.name for p in changed}
    current = list(pack_files(BUILTIN_DIR))
    for d in rules_dirs:
        current += [Path(d)] if Path(d).is_file() else pack_files(Path(d))
    files = [p for p in current if p.name not in names] + changed
    try:
        return load_rules(extra_dirs=files, builtin=False)
    except RulePackError as exc:
        raise RescoreError(str(exc)) from exc


def open_read_only(path: str | Path) -> sqlite_utils.Database:
    """The database opened so that nothing can be written (SQLite ``mode=ro``)."""
    p = Path(path)
    if not p.exists():
        raise RescoreError(f"{p} does not exist")
    conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    return sqlite_utils.Database(conn)


@dataclass
class Tally:
    """Reviewed flags a rule set raises: confirmed (true) and false alarms, of all confirmed."""

    confirmed: int = 0
    false_alarms: int = 0
    all_confirmed: int = 0

    def precision(self) -> float | None:
        """Confirmed over confirmed plus false alarms among the reviewed flags raised."""
        n = self.confirmed + self.false_alarms
        return round(self.confirmed / n, 3) if n else None

    def recall(self) -> float | None:
        """Confirmed flags still raised over every confirmed verdict (misses QA marked on
        unflagged calls are not counted: spot checks measure those)."""
        return round(self.confirmed / self.all_confirmed, 3) if self.all_confirmed else None

    def as_dict(self) -> dict[str, Any]:
        """The tally with precision and recall."""
        return {"confirmed": self.confirmed, "false_alarms": self.false_alarms,
                "precision": self.precision(), "recall": self.recall()}


@dataclass
class RulesTest:
    """What a pack change would do to the stored calls and to QA's verdicts."""

    before_version: str
    after_version: str
    calls: int = 0
    diff: RuleDiff = field(default_factory=RuleDiff)
    before: Tally = field(default_factory=Tally)
    after: Tally = field(default_factory=Tally)
    confirmed_lost: list[dict[str, Any]] = field(default_factory=list)
    false_alarms_removed: list[dict[str, Any]] = field(default_factory=list)
    verdicts_unmatched: int = 0
    pass_fail_changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The dry run as JSON-ready data."""
        return {
            "before_version": self.before_version, "after_version": self.after_version,
            "calls": self.calls, "rules": self.diff.as_rows(),
            "verdicts": {"before": self.before.as_dict(), "after": self.after.as_dict(),
                         "confirmed_lost": self.confirmed_lost,
                         "false_alarms_removed": self.false_alarms_removed,
                         "not_raised_by_current_rules": self.verdicts_unmatched},
            "pass_fail_changes": self.pass_fail_changes,
        }


def rules_test(db: sqlite_utils.Database, pack_dir: str | Path,
               rules_dirs: Iterable[str | Path] = (), *, since: str | None = None,
               examples: int = 3) -> RulesTest:
    """Run the current rules and the rules with ``pack_dir``'s packs over the stored calls,
    and the reviewed verdicts against both. Reads only."""
    rules_dirs = list(rules_dirs)
    before = Rescorer(load_rule_set(rules_dirs))
    after = Rescorer(changed_rule_set(pack_dir, rules_dirs))
    out = RulesTest(before.version, after.version)
    sql, params = _calls_sql(since, _ROW_COLUMNS + ", scorecard")
    for row in db.query(sql, params):
        if row["status"] != "ok":
            continue
        out.calls += 1
        card = json.loads(row.pop("scorecard"))
        group = queries.frequency_group(db, row["id"], row["debtor_id"], row["call_date"])
        a = before.rescore_card(card, row, group).card
        b = after.rescore_card(card, row, group).card
        _compare(out, row, a, b, examples)
        verdicts = list(db.query(
            "SELECT rule, start, end, speaker, review_status, reviewer, comment FROM flags "
            "WHERE call_id = ? AND review_status IN ('confirmed', 'false_alarm')", [row["id"]]))
        _tally(out, str(row["id"]), verdicts, _keys(a["flags"]), _keys(b["flags"]))
    return out


def _compare(out: RulesTest, row: Mapping[str, Any], a: Mapping[str, Any],
             b: Mapping[str, Any], examples: int) -> None:
    call_id = str(row["id"])
    ka, kb = _keys(a["flags"]), _keys(b["flags"])
    for f in b["flags"]:
        if ka[flag_key(f)] > 0:
            ka[flag_key(f)] -= 1
        else:
            out.diff.add(str(f.get("rule")), "new", _example(call_id, f), examples)
    for f in a["flags"]:
        if kb[flag_key(f)] > 0:
            kb[flag_key(f)] -= 1
        else:
            out.diff.add(str(f.get("rule")), "lost", _example(call_id, f), examples)
    if bool(a.get("passed")) != bool(b.get("passed")):
        out.pass_fail_changes.append({"call_id": call_id, "path": row.get("path"),
                                      "passed_before": a.get("passed"),
                                      "passed_after": b.get("passed"),
                                      "score_before": a.get("score"),
                                      "score_after": b.get("score")})


def _tally(out: RulesTest, call_id: str, verdicts: list[dict[str, Any]],
           ka: Counter[FlagKey], kb: Counter[FlagKey]) -> None:
    for v in verdicts:
        key = flag_key(v)
        confirmed = v["review_status"] == "confirmed"
        in_a, in_b = ka[key] > 0, kb[key] > 0
        for tally, raised in ((out.before, in_a), (out.after, in_b)):
            tally.all_confirmed += int(confirmed)
            if raised:
                tally.confirmed += int(confirmed)
                tally.false_alarms += int(not confirmed)
        out.verdicts_unmatched += int(not in_a)
        if in_a and not in_b:
            item = {"call_id": call_id, "rule": v["rule"], "start": v["start"],
                    "end": v["end"], "reviewer": v["reviewer"], "comment": v["comment"]}
            (out.confirmed_lost if confirmed else out.false_alarms_removed).append(item)
