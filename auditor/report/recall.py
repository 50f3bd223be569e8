"""Recall per category from spot checks and missed marks, next to precision from verdicts.

Why: the verdicts on flags tell how often a flag is right (precision); only calls the auditor
did NOT flag tell what it misses. ``auditor sample`` draws a uniform sample of the unflagged
calls (stratified by agent and day, proportional, so it needs no weights); QA listens to each
whole and marks every missed violation. Per category ``c``:

* ``p_c`` = checked spot checks with a missed ``c`` / checked spot checks, with a Wilson 95%
  interval (a proportion from a small sample: Wilson stays inside [0, 1] and is honest at 0);
* missed ``c`` among all unflagged calls ~ ``N x p_c`` (``N`` unflagged calls now), plus the
  misses QA marked on flagged calls (counted as they are: those calls are not sampled);
* detected ``c`` = calls with a CONFIRMED flag of ``c``: unreviewed flags are not counted
  as hits, so recall is a floor while flags of ``c`` wait for review (the table says how many);
* recall = detected / (detected + missed), its interval from ``p_c``'s (sampling only: the
  uncertainty of the review itself is not in it).

Precision = confirmed / (confirmed + false alarms) over reviewed flags, also with Wilson.
Everything is in calls (recall) or flags (precision), as the columns say.
"""

from __future__ import annotations

import math
from typing import Any

from auditor.core.vocab import CATEGORIES
from auditor.store import queries
from auditor.store.db import Store

Z95 = 1.959964


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a binomial proportion; None when ``n`` is 0."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _ratio(detected: float, missed: float) -> float | None:
    total = detected + missed
    return detected / total if total > 0 else None


def recall_report(store: Store) -> dict[str, Any]:
    """Per category: precision (flags) and recall (calls) with 95% intervals, and the inputs.

    Categories appear when anything was flagged, confirmed or marked missed for them.
    """
    counts = queries.recall_inputs(store.db)
    n, big_n = counts["checked"], counts["unflagged"]
    seen = set()
    for key in ("flags", "missed_sampled", "missed_flagged"):
        seen |= set(counts[key])
    order = [c for c in CATEGORIES if c in seen] + sorted(seen - set(CATEGORIES))
    rows = []
    for cat in order:
        conf = counts["flag_confirmed"].get(cat, 0)
        false = counts["flag_false"].get(cat, 0)
        m_sample = counts["missed_sampled"].get(cat, 0)
        m_flagged = counts["missed_flagged"].get(cat, 0)
        detected = counts["confirmed"].get(cat, 0)
        row: dict[str, Any] = {
            "category": cat,
            "flags": counts["flags"].get(cat, 0),
            "confirmed": conf,
            "false_alarms": false,
            "precision": conf / (conf + false) if conf + false else None,
            "precision_ci": wilson(conf, conf + false),
            "detected_calls": detected,
            "unreviewed_calls": counts["unreviewed"].get(cat, 0),
            "missed_in_sample": m_sample,
            "missed_on_flagged": m_flagged,
            "miss_rate_ci": wilson(m_sample, n),
            "recall": None,
            "recall_ci": None,
        }
        if n:
            est = big_n * m_sample / n
            row["missed_estimate"] = round(est + m_flagged, 1)
            row["recall"] = _ratio(detected, est + m_flagged)
            lo, hi = row["miss_rate_ci"]
            low, high = _ratio(detected, big_n * hi + m_flagged), _ratio(detected,
                                                                        big_n * lo + m_flagged)
            row["recall_ci"] = None if low is None or high is None else (low, high)
        rows.append(row)
    return {"checked": n, "unflagged": big_n, "categories": rows}


def false_alarm_leaders(report: dict[str, Any], top: int = 5) -> list[dict[str, Any]]:
    """The rules with the most false alarms (count first, then rate): the ones to fix first."""
    rules = [r for r in report.get("rules", []) if r["false_alarms"]]
    rules.sort(key=lambda r: (-r["false_alarms"], -(r["false_alarm_rate"] or 0), str(r["rule"])))
    return rules[:top]


def _interval(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "n/a"
    text = f"{100 * value:.0f}%"
    if ci is not None:
        text += f" ({100 * ci[0]:.0f}-{100 * ci[1]:.0f}%)"
    return text


def recall_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Precision and recall per category with 95% intervals, and what they rest on."""
    data = report.get("recall") or {"categories": []}
    return (
        ["category", "flags", "precision (95% CI)", "confirmed calls", "unreviewed calls",
         "missed in spot checks", "missed on flagged", "recall (95% CI)"],
        [
            [r["category"], r["flags"], _interval(r["precision"], r["precision_ci"]),
             r["detected_calls"], r["unreviewed_calls"], r["missed_in_sample"],
             r["missed_on_flagged"], _interval(r["recall"], r["recall_ci"])]
            for r in data["categories"]
        ],
    )


def false_alarm_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The rules with the most false alarms."""
    return (
        ["rule", "category", "false alarms", "reviewed", "false-alarm rate"],
        [
            [r["rule"], r["category"], r["false_alarms"], r["confirmed"] + r["false_alarms"],
             f"{100 * r['false_alarm_rate']:.0f}%"]
            for r in false_alarm_leaders(report)
        ],
    )


def recall_lines(report: dict[str, Any]) -> list[str]:
    """The header line of the section: how many spot checks the recall rests on."""
    data = report.get("recall") or {}
    n, big_n = data.get("checked", 0), data.get("unflagged", 0)
    if not n:
        return [f"  recall needs spot checks: none checked yet ({big_n} unflagged calls); "
                "`auditor sample --db DB` draws some"]
    return [f"  recall rests on {n} checked spot check(s) standing for {big_n} unflagged "
            "call(s); detections count confirmed flags only"]
