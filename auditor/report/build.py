"""The morning report over a batch database, as plain data: figures and the tables of them.

Why: QA leads want the night at a glance (how many calls passed, which violations, which
agents, which days) before they open individual calls. The numbers come from plain SQL over
the store (``auditor.store.queries``), so the same figures can be checked in Datasette. The
report is rendered as terminal text by ``auditor.report.text`` and as a self-contained HTML
page by ``auditor.report.page``; both show the same tables, built once here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from auditor.report.recall import recall_report
from auditor.review.verdicts import review_stats
from auditor.store import queries
from auditor.store.db import Store

UNKNOWN_AGENT = queries.UNKNOWN_AGENT
Table = tuple[list[str], list[list[Any]]]
"""Column headers and rows, as both renderings show them."""


@dataclass
class Distribution:
    """Summary statistics and a histogram of one measure over calls."""

    name: str
    unit: str
    values: list[float]
    bins: list[tuple[float, float, int]] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of calls measured."""
        return len(self.values)

    def quantiles(self) -> dict[str, float]:
        """min, p10, median, p90, max and mean (empty when nothing was measured)."""
        v = sorted(self.values)
        if not v:
            return {}

        def q(p: float) -> float:
            k = (len(v) - 1) * p
            lo, hi = math.floor(k), math.ceil(k)
            return v[lo] + (v[hi] - v[lo]) * (k - lo)

        return {
            "min": v[0],
            "p10": q(0.1),
            "median": q(0.5),
            "p90": q(0.9),
            "max": v[-1],
            "mean": statistics.fmean(v),
        }


def histogram(values: Sequence[float], n_bins: int = 10) -> list[tuple[float, float, int]]:
    """Equal-width bins ``(low, high, count)`` over the values' range."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi == lo:
        return [(lo, hi, len(values))]
    width = (hi - lo) / n_bins
    counts = [0] * n_bins
    for x in values:
        counts[min(n_bins - 1, int((x - lo) / width))] += 1
    return [(lo + i * width, lo + (i + 1) * width, c) for i, c in enumerate(counts)]


def build_report(store: Store) -> dict[str, Any]:
    """All the report's figures from one database, as plain data."""
    db = store.db
    totals = queries.report_totals(db)
    totals["pass_rate"] = totals["passed"] / totals["ok"] if totals["ok"] else None
    categories = queries.flag_counts(db, ("category", "severity"))
    for c in categories:
        c["dismissed"] = c.pop("false_alarms")
        del c["unreviewed"]
    agents = queries.report_agents(db)
    days = queries.report_days(db)
    for row in agents + days:
        denominator = row.get("ok", row["calls"])
        row["pass_rate"] = (row["passed"] or 0) / denominator if denominator else None
    rates = queries.agent_metric(db, "speech_rate_cpm")
    ratios = queries.talk_ratios(db)
    speech = Distribution("Agent speech rate", "chars/min", rates, histogram(rates))
    talk = Distribution("Agent talk ratio", "share of talk", ratios, histogram(ratios))
    runs = store.runs()[:1]
    return {
        "rules": review_stats(store),
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "database": str(store.path),
        "totals": totals,
        "categories": categories,
        "agents": agents,
        "days": days,
        "speech_rate": speech,
        "talk_ratio": talk,
        "failures": queries.failure_reasons(db),
        "outcome_agents": outcome_rows(queries.report_outcomes(db, "agent")),
        "outcome_campaigns": outcome_rows(queries.report_outcomes(db, "campaign")),
        "last_run": runs[0] if runs else None,
        "recall": recall_report(store),
    }


# ---------------------------------------------------------------- the tables


def pct(x: float | None) -> str:
    """A share as a whole percentage; ``n/a`` when unknown."""
    return "n/a" if x is None else f"{100 * x:.0f}%"


def num(x: float | None, digits: int = 0) -> str:
    """A number with ``digits`` decimals; ``n/a`` when unknown."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def category_table(report: dict[str, Any]) -> Table:
    """Flags per category and severity, with how many were confirmed or dismissed."""
    return (
        ["category", "severity", "flags", "calls", "confirmed", "dismissed"],
        [
            [c["category"], c["severity"], c["flags"], c["calls"], c["confirmed"] or 0,
             c["dismissed"] or 0]
            for c in report["categories"]
        ],
    )


def rule_table(report: dict[str, Any]) -> Table:
    """False alarms per rule, over the rules with at least one reviewed flag."""
    return (
        ["rule", "category", "flags", "confirmed", "false alarms", "unreviewed",
         "false-alarm rate"],
        [
            [r["rule"], r["category"], r["flags"], r["confirmed"], r["false_alarms"],
             r["unreviewed"], pct(r["false_alarm_rate"])]
            for r in report.get("rules", [])
            if r["false_alarm_rate"] is not None
        ],
    )


def agent_table(report: dict[str, Any]) -> Table:
    """Per agent: calls, passes, pass rate, mean score, flags and critical flags."""
    return (
        ["agent", "calls", "passed", "pass rate", "mean score", "flags", "critical"],
        [
            [a["agent"], a["calls"], a["passed"] or 0, pct(a["pass_rate"]),
             num(a["mean_score"], 1), a["flags"], a["critical"]]
            for a in report["agents"]
        ],
    )


def day_table(report: dict[str, Any]) -> Table:
    """Per day: calls, failures, passes, pass rate and flags."""
    return (
        ["day", "calls", "failed", "passed", "pass rate", "flags"],
        [
            [d["day"], d["calls"], d["failed"] or 0, d["passed"] or 0, pct(d["pass_rate"]),
             d["flags"]]
            for d in report["days"]
        ],
    )


# ---------------------------------------------------------------- what the calls achieved


def _share(n: float | None, d: float | None) -> float | None:
    return (n or 0) / d if d else None


def outcome_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outcome figures per agent or campaign with their rates.

    Right-party contact rate over all audited calls; promise rate over right-party contacts;
    hostile share over answered calls; kept-promise rate over the promises a payments file has
    decided (kept or broken; pending ones are not counted yet). The promises are also counted
    apart: ``certain_promises`` and ``uncertain_promises`` (resting on low-confidence text or
    other weak evidence, so a QA lead knows how many to listen to before trusting the rate).
    """
    out = []
    for r in rows:
        r = dict(r)
        r["rpc_rate"] = _share(r["right_party"], r["calls"])
        r["promise_rate"] = _share(r["promises"], r["right_party"])
        r.setdefault("uncertain_promises", 0)
        r["certain_promises"] = r["promises"] - r["uncertain_promises"]
        r["hostile_share"] = _share(r["hostile"], r["answered"])
        r["kept_rate"] = _share(r["kept"], r["kept"] + r["broken"])
        out.append(r)
    return out


def outcome_table(report: dict[str, Any], by: str = "agent") -> Table:
    """Per agent (or campaign): contact, promises, amount, hostile customers, kept promises and
    the coaching notes (how the agent handled upset customers: calm / answered in kind)."""
    rows = report.get(f"outcome_{by}s") or []
    return (
        [by, "calls", "right-party rate", "promise rate", "promises: certain",
         "promises: uncertain", "promised (yuan)", "hostile share", "kept", "broken", "pending",
         "kept rate", "coaching: calm", "coaching: in kind"],
        [
            [r["key"], r["calls"], pct(r["rpc_rate"]), pct(r["promise_rate"]),
             r["certain_promises"], r["uncertain_promises"],
             num(r["promised"]), pct(r["hostile_share"]), r["kept"], r["broken"], r["pending"],
             pct(r["kept_rate"]), r["handled_calm"], r["in_kind"]]
            for r in rows
        ],
    )
