"""The report as one self-contained HTML page: inline CSS and SVG charts, nothing external.

Why self-contained: the page is mailed or archived and opened offline, so it loads no scripts,
fonts or images from elsewhere. The figures and tables are ``auditor.report.build``'s.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from auditor.report import build
from auditor.report.recall import false_alarm_table, recall_lines, recall_table

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


def _html_table(table: build.Table) -> str:
    headers, rows = table
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


def _hist_chart(d: build.Distribution, digits: int) -> str:
    if not d.n:
        return f"<p>{_esc(d.name)}: no measurements.</p>"
    items = [(f"{lo:.{digits}f}", float(c)) for lo, _, c in d.bins]
    qs = d.quantiles()
    title = f"{d.name} ({d.unit}), {d.n} calls, median {qs['median']:.{digits}f}"
    return svg_columns(items, title, fmt="{:.0f} calls", width=480)


def recall_html(report: dict[str, Any]) -> list[str]:
    """The precision / recall section and the rules with the most false alarms."""
    return [
        "<h2>Precision and recall per category</h2>",
        f"<p>{_esc(' '.join(line.strip() for line in recall_lines(report)))}</p>",
        _html_table(recall_table(report)),
        "<h2>Rules with the most false alarms</h2>",
        _html_table(false_alarm_table(report)),
    ]


def _outcome_sections(report: dict[str, Any]) -> list[str]:
    """Per agent and campaign: promise and kept-promise rates (charts) and the outcome table."""
    agents = report.get("outcome_agents") or []
    out = ["<h2>What the calls achieved</h2>"]
    if not agents:
        return out + ["<p>No outcome stored yet.</p>"]
    out += [
        '<div class="charts">',
        svg_bars([(a["key"], 100 * (a["promise_rate"] or 0)) for a in agents],
                 "Promise rate per agent (% of right-party contacts)", fmt="{:.0f}%",
                 color="#3b8a5a"),
        svg_bars([(a["key"], 100 * a["kept_rate"]) for a in agents
                  if a["kept_rate"] is not None],
                 "Kept-promise rate per agent (% of decided promises)", fmt="{:.0f}%",
                 color="#6a4fa3"),
        svg_bars([(a["key"], 100 * (a["hostile_share"] or 0)) for a in agents],
                 "Hostile customers per agent (% of answered calls)", fmt="{:.0f}%",
                 color="#b5523b"),
        "</div>",
        "<h3>Per agent</h3>",
        _html_table(build.outcome_table(report, "agent")),
        "<h3>Per campaign</h3>",
        _html_table(build.outcome_table(report, "campaign")),
    ]
    return out


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
        ("pass rate", build.pct(t["pass_rate"])),
        ("mean score", build.num(t["mean_score"], 1)),
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
        _html_table(build.category_table(report)),
        "<h2>False alarms per rule</h2>",
        _html_table(build.rule_table(report)),
        *recall_html(report),
        "<h2>Per agent</h2>",
        svg_bars(agent_items, "Pass rate per agent (%)", fmt="{:.0f}%"),
        _html_table(build.agent_table(report)),
        *_outcome_sections(report),
        "<h2>Per day</h2>",
        svg_columns(day_items, "Pass rate per day (%)", fmt="{:.0f}%"),
        _html_table(build.day_table(report)),
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
                (["calls", "reason"], [[f["calls"], f["error"]] for f in report["failures"]])
            ),
        ]
    sections.append("</body></html>")
    return "\n".join(sections)
