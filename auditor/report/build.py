"""The morning report over a batch database: text for the terminal, HTML with charts.

Why: QA leads want the night at a glance (how many calls passed, which violations, which
agents, which days) before they open individual calls. The numbers come from plain SQL over
the store, so the same figures can be checked in Datasette. The HTML page is self-contained
(inline CSS and SVG, no scripts, fonts or images from elsewhere) so it can be mailed or
archived and opened offline.
"""

from __future__ import annotations

import html
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from auditor.core.timefmt import clock
from auditor.store.db import Store

UNKNOWN_AGENT = "(no agent id)"


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
    q = store.db.query
    totals = next(
        q(
            "SELECT COUNT(*) AS calls, SUM(status = 'ok') AS ok, SUM(status = 'failed') AS failed, "
            "SUM(status = 'ok' AND passed = 1) AS passed, AVG(CASE WHEN status = 'ok' "
            "THEN score END) AS mean_score, SUM(CASE WHEN status = 'ok' THEN duration_s END) "
            "AS audio_s FROM calls"
        )
    )
    totals = {k: (v or 0) for k, v in totals.items()}
    totals["pass_rate"] = totals["passed"] / totals["ok"] if totals["ok"] else None
    categories = list(
        q(
            "SELECT f.category, f.severity, COUNT(*) AS flags, COUNT(DISTINCT f.call_id) AS calls, "
            "SUM(f.review_status = 'confirmed') AS confirmed, "
            "SUM(f.review_status = 'dismissed') AS dismissed "
            "FROM flags f JOIN calls c ON c.id = f.call_id "
            "GROUP BY f.category, f.severity ORDER BY flags DESC, f.category"
        )
    )
    agents = list(
        q(
            "SELECT COALESCE(c.agent_id, ?) AS agent, COUNT(*) AS calls, "
            "SUM(c.passed = 1) AS passed, AVG(c.score) AS mean_score, "
            "(SELECT COUNT(*) FROM flags f JOIN calls c2 ON c2.id = f.call_id "
            " WHERE COALESCE(c2.agent_id, ?) = COALESCE(c.agent_id, ?) "
            " AND c2.status = 'ok' AND f.severity != 'info') AS flags, "
            "(SELECT COUNT(*) FROM flags f JOIN calls c2 ON c2.id = f.call_id "
            " WHERE COALESCE(c2.agent_id, ?) = COALESCE(c.agent_id, ?) "
            " AND c2.status = 'ok' AND f.severity = 'critical') AS critical "
            "FROM calls c WHERE c.status = 'ok' GROUP BY agent ORDER BY mean_score ASC, agent",
            [UNKNOWN_AGENT] * 5,
        )
    )
    days = list(
        q(
            "SELECT COALESCE(call_date, substr(processed_at, 1, 10)) AS day, COUNT(*) AS calls, "
            "SUM(status = 'ok') AS ok, SUM(status = 'ok' AND passed = 1) AS passed, "
            "SUM(status = 'failed') AS failed, "
            "(SELECT COUNT(*) FROM flags f JOIN calls c2 ON c2.id = f.call_id WHERE "
            " COALESCE(c2.call_date, substr(c2.processed_at, 1, 10)) = "
            " COALESCE(calls.call_date, substr(calls.processed_at, 1, 10)) "
            " AND f.severity != 'info') AS flags "
            "FROM calls GROUP BY day ORDER BY day"
        )
    )
    for row in agents + days:
        denominator = row.get("ok", row["calls"])
        row["pass_rate"] = (row["passed"] or 0) / denominator if denominator else None
    rates = [
        r["value"]
        for r in q(
            "SELECT m.value FROM metrics m JOIN calls c ON c.id = m.call_id "
            "WHERE c.status = 'ok' AND m.scope = 'agent' AND m.name = 'speech_rate_cpm'"
        )
    ]
    ratios = [
        r["ratio"]
        for r in q(
            "SELECT a.value / (a.value + cu.value) AS ratio FROM metrics a "
            "JOIN metrics cu ON cu.call_id = a.call_id AND cu.scope = 'customer' "
            "AND cu.name = 'talk_s' JOIN calls c ON c.id = a.call_id "
            "WHERE c.status = 'ok' AND a.scope = 'agent' AND a.name = 'talk_s' "
            "AND a.value + cu.value > 0"
        )
    ]
    speech = Distribution("Agent speech rate", "chars/min", rates, histogram(rates))
    talk = Distribution("Agent talk ratio", "share of talk", ratios, histogram(ratios))
    failures = list(
        q(
            "SELECT error, COUNT(*) AS calls FROM calls WHERE status = 'failed' "
            "GROUP BY error ORDER BY calls DESC LIMIT 10"
        )
    )
    from auditor.review.verdicts import review_stats

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
        "failures": failures,
        "last_run": runs[0] if runs else None,
    }


# ---------------------------------------------------------------- text


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for j, r in enumerate(cells):
        out.append("  " + "  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)))
        if j == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _width(text: str) -> int:
    """Terminal width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _dist_lines(d: Distribution, digits: int) -> list[str]:
    if not d.n:
        return [f"{d.name}: no measurements"]
    qs = d.quantiles()
    lines = [
        f"{d.name} ({d.unit}, {d.n} calls): min {_num(qs['min'], digits)}, "
        f"p10 {_num(qs['p10'], digits)}, median {_num(qs['median'], digits)}, "
        f"p90 {_num(qs['p90'], digits)}, max {_num(qs['max'], digits)}"
    ]
    top = max(c for _, _, c in d.bins) or 1
    for lo, hi, c in d.bins:
        bar = "#" * round(30 * c / top)
        lines.append(f"  {_num(lo, digits):>7}-{_num(hi, digits):<7} {c:>5} {bar}")
    return lines


def format_text(report: dict[str, Any]) -> str:
    """The report as terminal text."""
    t = report["totals"]
    lines = [
        f"Call audit report: {report['database']}",
        "",
        f"Calls: {t['calls']} ({t['ok']} audited, {t['failed']} failed)   "
        f"passed: {t['passed']} of {t['ok']} ({_pct(t['pass_rate'])})   "
        f"mean score: {_num(t['mean_score'], 1)}   audio: {t['audio_s'] / 3600:.2f} h",
    ]
    run = report.get("last_run")
    if run:
        lines.append(
            f"Last run #{run['id']}: {run.get('status') or '?'}, started {run['started_at']}, "
            f"scored {run.get('scored') or 0}, failed {run.get('failed') or 0}, "
            f"skipped {run.get('skipped') or 0}"
        )
    lines += ["", "Flags per category:"]
    if report["categories"]:
        lines += _table(
            ["category", "severity", "flags", "calls", "confirmed", "dismissed"],
            [
                [
                    c["category"],
                    c["severity"],
                    c["flags"],
                    c["calls"],
                    c["confirmed"] or 0,
                    c["dismissed"] or 0,
                ]
                for c in report["categories"]
            ],
        )
    else:
        lines.append("  none")
    reviewed = [r for r in report.get("rules", []) if r["false_alarm_rate"] is not None]
    lines += ["", "False alarms per rule (reviewed flags; the worst rule is the one to fix):"]
    if reviewed:
        lines += _table(
            ["rule", "category", "flags", "confirmed", "false alarms", "unreviewed",
             "false-alarm rate"],
            [[r["rule"], r["category"], r["flags"], r["confirmed"], r["false_alarms"],
              r["unreviewed"], _pct(r["false_alarm_rate"])] for r in reviewed],
        )
    else:
        lines.append("  no flag reviewed yet")
    lines += ["", "Per agent (worst mean score first):"]
    lines += _table(
        ["agent", "calls", "passed", "pass rate", "mean score", "flags", "critical"],
        [
            [
                a["agent"],
                a["calls"],
                a["passed"] or 0,
                _pct(a["pass_rate"]),
                _num(a["mean_score"], 1),
                a["flags"],
                a["critical"],
            ]
            for a in report["agents"]
        ],
    )
    lines += ["", "Per day:"]
    lines += _table(
        ["day", "calls", "failed", "passed", "pass rate", "flags"],
        [
            [
                d["day"],
                d["calls"],
                d["failed"] or 0,
                d["passed"] or 0,
                _pct(d["pass_rate"]),
                d["flags"],
            ]
            for d in report["days"]
        ],
    )
    lines += [""] + _dist_lines(report["speech_rate"], 0)
    lines += [""] + _dist_lines(report["talk_ratio"], 2)
    if report["failures"]:
        lines += ["", "Calls that could not be audited:"]
        lines += [f"  {f['calls']:>4}  {f['error']}" for f in report["failures"]]
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;
color:#222;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .6rem;text-align:left;
border-bottom:1px solid #eee}th{background:#f6f6f6}td.n{text-align:right}
.kpi{display:inline-block;margin:0 1.5rem 1rem 0}.kpi b{display:block;font-size:1.6rem}
.bad{color:#b00020}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
svg text{font-size:11px;fill:#333}
"""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def svg_bars(
    items: Sequence[tuple[str, float]],
    title: str,
    fmt: str = "{:g}",
    width: int = 520,
    color: str = "#3a6ea5",
) -> str:
    """A horizontal bar chart as inline SVG (one bar per label)."""
    if not items:
        return f"<p>{_esc(title)}: nothing to show.</p>"
    bar_h, label_w, gap = 18, 190, 4
    height = 24 + len(items) * (bar_h + gap)
    top = max(v for _, v in items) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_esc(title)}">',
        f'<text x="0" y="14" font-weight="bold">{_esc(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 24 + i * (bar_h + gap)
        w = (width - label_w - 60) * value / top
        parts.append(f'<text x="0" y="{y + 13}">{_esc(label)[:28]}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
            f"<title>{_esc(label)}: {_esc(fmt.format(value))}</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{_esc(fmt.format(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_columns(
    items: Sequence[tuple[str, float]],
    title: str,
    fmt: str = "{:g}",
    width: int = 520,
    height: int = 220,
    color: str = "#3a6ea5",
) -> str:
    """A vertical column chart (histograms, per-day series) as inline SVG."""
    if not items:
        return f"<p>{_esc(title)}: nothing to show.</p>"
    top = max(v for _, v in items) or 1
    plot_h, base = height - 60, height - 36
    col_w = (width - 20) / len(items)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_esc(title)}">',
        f'<text x="0" y="14" font-weight="bold">{_esc(title)}</text>',
        f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#999"/>',
    ]
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = 10 + i * col_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{max(1.0, col_w - 2):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{_esc(label)}: '
            f"{_esc(fmt.format(value))}</title></rect>"
        )
        if len(items) <= 16 or i % math.ceil(len(items) / 16) == 0:
            parts.append(
                f'<text x="{x + col_w / 2:.1f}" y="{base + 14}" text-anchor="middle">'
                f"{_esc(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_esc(c)}</td>' if isinstance(c, int | float) else f"<td>{_esc(c)}</td>"
            for c in r
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _hist_chart(d: Distribution, digits: int) -> str:
    if not d.n:
        return f"<p>{_esc(d.name)}: no measurements.</p>"
    items = [(f"{lo:.{digits}f}", float(c)) for lo, _, c in d.bins]
    qs = d.quantiles()
    title = f"{d.name} ({d.unit}), {d.n} calls, median {qs['median']:.{digits}f}"
    return svg_columns(items, title, fmt="{:.0f} calls", width=480)


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing external)."""
    t = report["totals"]
    cats = report["categories"]
    by_cat: dict[str, int] = {}
    for c in cats:
        by_cat[c["category"]] = by_cat.get(c["category"], 0) + c["flags"]
    agent_items = [(a["agent"], 100 * (a["pass_rate"] or 0)) for a in report["agents"]]
    day_items = [
        (d["day"][5:] if d["day"] else "?", 100 * (d["pass_rate"] or 0)) for d in report["days"]
    ]
    kpis = [
        ("calls", t["calls"]),
        ("audited", t["ok"]),
        ("failed to audit", t["failed"]),
        ("pass rate", _pct(t["pass_rate"])),
        ("mean score", _num(t["mean_score"], 1)),
        ("audio hours", f"{t['audio_s'] / 3600:.2f}"),
    ]
    sections = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Call audit report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Call audit report</h1>",
        f"<p>{_esc(report['database'])} &middot; generated {_esc(report['generated_at'])}</p>",
        "<div>"
        + "".join(f'<div class="kpi"><b>{_esc(v)}</b>{_esc(k)}</div>' for k, v in kpis)
        + "</div>",
        "<h2>Flags per category</h2>",
        '<div class="charts">',
        svg_bars(
            sorted(by_cat.items(), key=lambda kv: -kv[1]), "Flags per category", color="#b5523b"
        ),
        "</div>",
        _html_table(
            ["category", "severity", "flags", "calls", "confirmed", "dismissed"],
            [
                [
                    c["category"],
                    c["severity"],
                    c["flags"],
                    c["calls"],
                    c["confirmed"] or 0,
                    c["dismissed"] or 0,
                ]
                for c in cats
            ],
        ),
        "<h2>False alarms per rule</h2>",
        _html_table(
            ["rule", "category", "flags", "confirmed", "false alarms", "unreviewed",
             "false-alarm rate"],
            [[r["rule"], r["category"], r["flags"], r["confirmed"], r["false_alarms"],
              r["unreviewed"], _pct(r["false_alarm_rate"])]
             for r in report.get("rules", []) if r["false_alarm_rate"] is not None],
        ),
        "<h2>Per agent</h2>",
        svg_bars(agent_items, "Pass rate per agent (%)", fmt="{:.0f}%"),
        _html_table(
            ["agent", "calls", "passed", "pass rate", "mean score", "flags", "critical"],
            [
                [
                    a["agent"],
                    a["calls"],
                    a["passed"] or 0,
                    _pct(a["pass_rate"]),
                    _num(a["mean_score"], 1),
                    a["flags"],
                    a["critical"],
                ]
                for a in report["agents"]
            ],
        ),
        "<h2>Per day</h2>",
        svg_columns(day_items, "Pass rate per day (%)", fmt="{:.0f}%"),
        _html_table(
            ["day", "calls", "failed", "passed", "pass rate", "flags"],
            [
                [
                    d["day"],
                    d["calls"],
                    d["failed"] or 0,
                    d["passed"] or 0,
                    _pct(d["pass_rate"]),
                    d["flags"],
                ]
                for d in report["days"]
            ],
        ),
        "<h2>Delivery</h2>",
        '<div class="charts">',
        _hist_chart(report["speech_rate"], 0),
        _hist_chart(report["talk_ratio"], 2),
        "</div>",
    ]
    if report["failures"]:
        sections += [
            "<h2>Calls that could not be audited</h2>",
            _html_table(
                ["calls", "reason"], [[f["calls"], f["error"]] for f in report["failures"]]
            ),
        ]
    sections.append("</body></html>")
    return "\n".join(sections)


# ---------------------------------------------------------------- QA listings


def format_flagged(entries: Sequence[dict[str, Any]]) -> str:
    """The ``auditor flagged`` listing: one block per call, worst first, a line per flag."""
    if not entries:
        return "No flagged calls match."
    lines = []
    for e in entries:
        verdict = "FAILED" if not e["passed"] else "passed"
        who = f"  agent {e['agent_id']}" if e.get("agent_id") else ""
        lines.append(
            f"{e['score'] if e['score'] is not None else '-':>3} {verdict}  {e['call_id'][:16]}  "
            f"{e['path']}{who}  {e['day']}"
        )
        for f in e["flags"]:
            review = "" if f["review_status"] == "unreviewed" else f" [{f['review_status']}]"
            matched = f" ({f['matched']})" if f.get("matched") else ""
            lines.append(
                f"    {clock(f['start'])}-{clock(f['end'])}  {f['severity']:<8} "
                f"{f['category']:<30} #{f['flag_id']}{review}  {f.get('evidence') or ''}{matched}"
            )
    flags = [f for e in entries for f in e["flags"]]
    confirmed = sum(f["review_status"] == "confirmed" for f in flags)
    dismissed = sum(f["review_status"] == "dismissed" for f in flags)
    lines.append(
        f"\n{len(entries)} calls, {len(flags)} flags: {confirmed + dismissed} reviewed "
        f"({confirmed} confirmed, {dismissed} false alarms), "
        f"{len(flags) - confirmed - dismissed} to review"
    )
    return "\n".join(lines)
